"""Pydantic data model shared by every part of agentcl."""

from .messages import Message, Requestor, Role, ToolCall, assistant, system, tool_result, user
from .runs import Check, RewardInfo, SimulationRun, TerminationReason
from .tasks import (
    Action,
    Description,
    EnvAssertion,
    EnvFunctionCall,
    EvaluationCriteria,
    InitialState,
    InitializationData,
    RewardType,
    StructuredInstructions,
    Task,
    UserScenario,
)

__all__ = [
    "Action", "Check", "Description", "EnvAssertion", "EnvFunctionCall", "EvaluationCriteria",
    "InitialState", "InitializationData", "Message", "Requestor", "RewardInfo", "RewardType",
    "Role", "SimulationRun", "StructuredInstructions", "Task", "TerminationReason", "ToolCall",
    "UserScenario", "assistant", "system", "tool_result", "user",
]
