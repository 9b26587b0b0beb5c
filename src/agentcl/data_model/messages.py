"""Conversation messages and tool calls, compatible with τ²-bench's message format."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]
Requestor = Literal["user", "assistant"]


class ToolCall(BaseModel):
    """A request to run one tool. `requestor` says whose tools it uses (agent or user)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: f"call_{uuid.uuid4().hex[:12]}")
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    requestor: Requestor = "assistant"

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


class Message(BaseModel):
    """One message. Tool results use role="tool" with `id` = the id of the call they answer."""

    model_config = ConfigDict(extra="ignore")

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    id: str | None = None  # for role="tool": the ToolCall.id this result answers
    requestor: Requestor = "assistant"  # for role="tool": whose tool produced it
    error: bool = False  # for role="tool": the tool refused or failed
    turn_idx: int | None = None

    @property
    def is_tool_call(self) -> bool:
        return bool(self.tool_calls)

    def text(self) -> str:
        return self.content or ""


def system(content: str) -> Message:
    return Message(role="system", content=content)


def user(content: str, tool_calls: list[ToolCall] | None = None) -> Message:
    return Message(role="user", content=content, tool_calls=tool_calls or None)


def assistant(content: str | None = None, tool_calls: list[ToolCall] | None = None) -> Message:
    return Message(role="assistant", content=content, tool_calls=tool_calls or None)


def tool_result(call: ToolCall, content: str, error: bool = False) -> Message:
    return Message(role="tool", id=call.id, content=content, requestor=call.requestor, error=error)
