"""One conversation's environment: the agent's and the user's toolkits on their own DB copies."""

from __future__ import annotations

import json
from typing import Any, Callable

from pydantic import BaseModel

from ..data_model import EnvFunctionCall, InitialState, Message, ToolCall, tool_result
from ..errors import ToolError
from .toolkit import Toolkit


def render_tool_output(value: Any) -> str:
    """Tool results reach the model as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False, default=str)


class Environment:
    """Runs tool calls for one conversation and never lets a tool failure escape.

    `sync` (dual-control domains) runs after every tool call so the user's side reflects the
    back office and vice versa.
    """

    def __init__(
        self,
        domain: str,
        policy: str,
        agent_tools: Toolkit,
        user_tools: Toolkit | None = None,
        sync: Callable[["Environment"], None] | None = None,
    ):
        self.domain = domain
        self.policy = policy
        self.agent_tools = agent_tools
        self.user_tools = user_tools
        self._sync = sync
        self.sync()

    # -- tools -----------------------------------------------------------------------------
    def toolkit_for(self, requestor: str) -> Toolkit:
        if requestor == "user":
            if self.user_tools is None:
                raise ToolError(f"the {self.domain} domain has no user tools")
            return self.user_tools
        return self.agent_tools

    def agent_tool_schemas(self) -> list[dict[str, Any]]:
        return self.agent_tools.schemas()

    def user_tool_schemas(self) -> list[dict[str, Any]]:
        return self.user_tools.schemas() if self.user_tools else []

    def get_response(self, call: ToolCall) -> Message:
        """Run one tool call; a refusal or a crash becomes an error message for the caller."""
        try:
            value = self.toolkit_for(call.requestor).call_tool(call.name, call.arguments)
            message = tool_result(call, render_tool_output(value))
        except ToolError as exc:
            message = tool_result(call, f"Error: {exc}", error=True)
        except Exception as exc:  # a buggy or unexpected input must not end the run
            message = tool_result(call, f"Error: {type(exc).__name__}: {exc}", error=True)
        self.sync()
        return message

    def make_tool_call(self, call: ToolCall) -> Message:
        """Run one tool call WITHOUT syncing the two sides afterwards (τ²-bench's gold replay does
        so); a refusal or a crash becomes an error message, as in `get_response`."""
        sync, self._sync = self._sync, None
        try:
            return self.get_response(call)
        finally:
            self._sync = sync

    def run_function(self, call: EnvFunctionCall) -> Any:
        """Run an env function (tool or helper) named by a task; raises on failure."""
        result = self.toolkit_for("user" if call.env_type == "user" else "assistant").call_function(
            call.func_name, call.arguments
        )
        self.sync()
        return result

    def sync(self) -> None:
        if self._sync is not None:
            self._sync(self)

    # -- state -----------------------------------------------------------------------------
    def set_state(self, initial_state: InitialState | None) -> list[Message]:
        """Apply a task's initial state; returns the message history the conversation starts with."""
        if initial_state is None:
            return []
        data = initial_state.initialization_data
        if data is not None:
            if data.agent_data:
                self.agent_tools.db.merge(data.agent_data)
            if data.user_data and self.user_tools is not None:
                self.user_tools.db.merge(data.user_data)
            self.sync()
        for action in initial_state.initialization_actions or []:
            self.run_function(action)
        history = list(initial_state.message_history or [])
        for message in history:  # replay the tool calls so the DB matches the history
            for call in message.tool_calls or []:
                requestor = "user" if message.role == "user" else "assistant"
                self.get_response(call.model_copy(update={"requestor": requestor}))
        return history

    def agent_db_hash(self) -> str:
        return self.agent_tools.db.hash()

    def user_db_hash(self) -> str | None:
        return self.user_tools.db.hash() if self.user_tools else None
