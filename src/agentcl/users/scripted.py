"""`scripted`: the deterministic offline user, in-process (for tests and the demo).

It runs exactly the logic the local relay serves over HTTP (`scripted_logic.scripted_reply`) on
exactly the request an LLM simulator would send, so in-process and relay runs agree.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .chat_user import ChatUserSimulator, UserReply
from .config import UserSimulatorConfig
from .scripted_logic import MAX_USER_TURNS, scripted_reply


class ScriptedUserSimulator(ChatUserSimulator):
    name: ClassVar[str] = "scripted"

    def __init__(self, max_tool_rounds: int = 4, max_turns: int = MAX_USER_TURNS):
        super().__init__(max_tool_rounds=max_tool_rounds)
        self.max_turns = max_turns

    @classmethod
    def from_config(cls, config: UserSimulatorConfig) -> "ScriptedUserSimulator":
        return cls(max_tool_rounds=config.max_tool_rounds)

    async def _reply(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> UserReply:
        reply = scripted_reply(messages, tools, max_turns=self.max_turns)
        return UserReply(reply.content, list(reply.tool_calls), {})
