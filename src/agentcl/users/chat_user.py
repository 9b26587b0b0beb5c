"""The turn loop shared by every chat-style user simulator.

A user turn: build the simulator's request (system prompt with guidelines and scenario, then the
flipped conversation, user tools), ask the backend for a reply, run any user tool calls on the
conversation's environment, feed the results back, and repeat until the reply is text (at most
`max_tool_rounds` tool rounds; the last request offers no tools, so the user must speak).

The tool calls and their results go into `UserTurn.tool_messages` (hidden from the agent); only the
final text is `UserTurn.message`. The rollout engine appends tool_messages then message to the
history, which is how `flip_history` finds them again on the next turn.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any

from ..data_model import Message, ToolCall
from .base import UserConversation, UserSimulator, UserTurn
from .prompt import build_system_prompt, flip_history

log = logging.getLogger("agentcl.users")


@dataclass
class UserReply:
    """What a backend answers for one request."""

    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)


def user_request(conversation: UserConversation) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages, user tool schemas) for the simulator's next reply."""
    env = conversation.environment
    tools = env.user_tool_schemas() if env is not None else []
    system = build_system_prompt(conversation.task, conversation.domain, has_user_tools=bool(tools))
    return [{"role": "system", "content": system}, *flip_history(conversation.history)], tools


class TurnInProgress:
    """One user turn being built: the growing request, the hidden tool traffic, the usage."""

    def __init__(self, conversation: UserConversation, max_tool_rounds: int):
        self.conversation = conversation
        self.messages, self.tools = user_request(conversation)
        self.tool_messages: list[Message] = []
        self.usage: dict[str, Any] = {}
        self.rounds = 0
        self.max_tool_rounds = max_tool_rounds
        self.final: UserTurn | None = None

    @property
    def offered_tools(self) -> list[dict[str, Any]] | None:
        """Tools for the next request; none once the round budget is spent (the user must speak)."""
        return self.tools if self.tools and self.rounds < self.max_tool_rounds else None

    def add(self, reply: UserReply) -> bool:
        """Take a reply; True when the turn is finished (text), False when tools ran and it goes on."""
        for key, value in reply.usage.items():
            self.usage[key] = self.usage.get(key, 0) + value
        env = self.conversation.environment
        if reply.tool_calls and env is not None and self.offered_tools:
            calls = [c.model_copy(update={"requestor": "user"}) for c in reply.tool_calls]
            # no text on the hidden message: anything the user says to the agent is in the final message
            call_message = Message(role="user", content=None, tool_calls=calls)
            results = [env.get_response(c) for c in calls]
            self.tool_messages += [call_message, *results]
            self.messages.append({"role": "assistant", "content": reply.content or None,
                                  "tool_calls": [c.to_openai() for c in calls]})
            self.messages += [{"role": "tool", "tool_call_id": r.id, "content": r.content or ""} for r in results]
            self.rounds += 1
            return False
        if reply.tool_calls:
            log.warning("user simulator called tools with none available (conversation %s); ignored",
                        self.conversation.conversation_id or "?")
        self.final = UserTurn(message=Message(role="user", content=reply.content or ""),
                              tool_messages=self.tool_messages, usage=self.usage)
        return True


class ChatUserSimulator(UserSimulator):
    """A simulator whose backend answers one chat request at a time (`_reply`)."""

    def __init__(self, max_tool_rounds: int = 4):
        self.max_tool_rounds = max_tool_rounds

    @abstractmethod
    async def _reply(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> UserReply:
        """The backend's answer to one request."""

    async def respond(self, conversation: UserConversation) -> UserTurn:
        turn = TurnInProgress(conversation, self.max_tool_rounds)
        while not turn.add(await self._reply(turn.messages, turn.offered_tools)):
            pass
        assert turn.final is not None
        return turn.final
