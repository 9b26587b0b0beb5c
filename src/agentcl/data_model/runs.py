"""Results of conversations: termination, reward breakdown, one record per simulated run."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .messages import Message
from .tasks import RewardType


class TerminationReason(str, Enum):
    USER_STOP = "user_stop"
    AGENT_STOP = "agent_stop"
    MAX_STEPS = "max_steps"
    TOO_MANY_ERRORS = "too_many_errors"
    MAX_TOKENS = "max_tokens"
    AGENT_ERROR = "agent_error"
    USER_ERROR = "user_error"
    # endings only τ²-bench writes (read from its results files)
    TIMEOUT = "timeout"
    INFRASTRUCTURE_ERROR = "infrastructure_error"
    CONTEXT_WINDOW_EXCEEDED = "context_window_exceeded"
    UNEXPECTED_ERROR = "unexpected_error"

    @property
    def is_normal(self) -> bool:
        """Only a user or agent stop can earn reward; every other ending scores 0."""
        return self in (TerminationReason.USER_STOP, TerminationReason.AGENT_STOP)


class Check(BaseModel):
    """One evaluated item (an action, an env assertion, a piece of info, an NL assertion)."""

    model_config = ConfigDict(extra="allow")

    name: str
    met: bool
    detail: str | None = None


class RewardInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    reward: float
    reward_basis: list[RewardType] = Field(default_factory=list)
    reward_breakdown: dict[RewardType, float] = Field(default_factory=dict)
    db_match: bool | None = None
    action_checks: list[Check] = Field(default_factory=list)
    env_assertion_checks: list[Check] = Field(default_factory=list)
    communicate_checks: list[Check] = Field(default_factory=list)
    nl_assertion_checks: list[Check] = Field(default_factory=list)
    info: dict[str, Any] = Field(default_factory=dict)


class SimulationRun(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    task_id: str
    domain: str
    trial: int = 0
    seed: int | None = None
    messages: list[Message] = Field(default_factory=list)
    termination_reason: TerminationReason
    reward_info: RewardInfo | None = None
    # its place in a curriculum run: the stage (a name) and the phase ("train", "zero_shot",
    # "after_stage_<i>", ...); None for a conversation outside one
    stage: str | None = None
    phase: str | None = None
    # a training conversation on an earlier stage's task (replay): that stage's name; else None
    replayed_from: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    # wall-clock of the conversation (ISO 8601, seconds), as τ²-bench records it; None when unknown
    start_time: str | None = None
    end_time: str | None = None
    duration: float | None = None
