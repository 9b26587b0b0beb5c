"""τ²-bench tasks: user scenario, initial state and evaluation criteria, read unchanged."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .messages import Message, Requestor


class RewardType(str, Enum):
    DB = "DB"
    ENV_ASSERTION = "ENV_ASSERTION"
    NL_ASSERTION = "NL_ASSERTION"
    ACTION = "ACTION"
    COMMUNICATE = "COMMUNICATE"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Description(_Model):
    purpose: str | None = None
    relevant_policies: str | None = None
    notes: str | None = None


class StructuredInstructions(_Model):
    domain: str | None = None
    reason_for_call: str | None = None
    known_info: str | None = None
    unknown_info: str | None = None
    task_instructions: str | None = None

    def render(self) -> str:
        parts = [
            ("Domain", self.domain),
            ("Reason for call", self.reason_for_call),
            ("Known info", self.known_info),
            ("Unknown info", self.unknown_info),
            ("Task instructions", self.task_instructions),
        ]
        return "\n".join(f"{k}:\n{v}" for k, v in parts if v)


class UserScenario(_Model):
    persona: str | None = None
    instructions: str | StructuredInstructions

    def render(self) -> str:
        text = self.instructions if isinstance(self.instructions, str) else self.instructions.render()
        return (f"Persona:\n{self.persona}\n\n" if self.persona else "") + text


class EnvFunctionCall(_Model):
    """A call of an environment function (tool or helper) on the agent's or the user's side."""

    env_type: Literal["user", "assistant"] = "assistant"
    func_name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class EnvAssertion(EnvFunctionCall):
    assert_value: bool = True
    message: str | None = None


class InitializationData(_Model):
    agent_data: dict[str, Any] | None = None
    user_data: dict[str, Any] | None = None


class InitialState(_Model):
    initialization_data: InitializationData | None = None
    initialization_actions: list[EnvFunctionCall] | None = None
    message_history: list[Message] | None = None


class Action(_Model):
    """A gold action: a tool call the agent (or user) is expected to make."""

    action_id: str = ""
    requestor: Requestor = "assistant"
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    info: str | None = None
    compare_args: list[str] | None = None

    def matches(self, name: str, arguments: dict[str, Any]) -> bool:
        """τ²-bench's comparison: same name, and equal values on the `compare_args` keys (unset:
        the CALL's argument keys, so extra call arguments fail and extra gold arguments are
        ignored). Who made the call is not compared."""
        if name != self.name:
            return False
        keys = arguments.keys() if self.compare_args is None else self.compare_args
        return ({k: v for k, v in arguments.items() if k in keys}
                == {k: v for k, v in self.arguments.items() if k in keys})


DEFAULT_REWARD_BASIS = [RewardType.DB, RewardType.COMMUNICATE]


class EvaluationCriteria(_Model):
    actions: list[Action] | None = None
    env_assertions: list[EnvAssertion] | None = None
    communicate_info: list[str] | None = None
    nl_assertions: list[str] | None = None
    reward_basis: list[RewardType] = Field(default_factory=lambda: list(DEFAULT_REWARD_BASIS))


class Task(_Model):
    id: str
    description: Description | None = None
    user_scenario: UserScenario
    ticket: str | None = None
    initial_state: InitialState | None = None
    evaluation_criteria: EvaluationCriteria | None = None
    annotations: Any = None

    @property
    def gold_actions(self) -> list[Action]:
        return list(self.evaluation_criteria.actions or []) if self.evaluation_criteria else []
