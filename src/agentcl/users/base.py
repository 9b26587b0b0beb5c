"""The user-simulator interface the rollout engine talks to.

A simulator plays the customer. It sees the conversation with roles flipped: the agent's text is
its input, the agent's tool calls and their results are hidden from it. It may call user tools
(dual-control domains); those run on the conversation's Environment and stay hidden from the agent.
A turn that contains a stop token ends the conversation.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..data_model import Message, Task
from ..environment import Environment

STOP = "###STOP###"
TRANSFER = "###TRANSFER###"
OUT_OF_SCOPE = "###OUT-OF-SCOPE###"
STOP_TOKENS = (STOP, TRANSFER, OUT_OF_SCOPE)


def is_stop(text: str | None) -> bool:
    return bool(text) and any(token in text for token in STOP_TOKENS)


def visible_to_user(history: list[Message]) -> list[Message]:
    """The part of a conversation a user sees: user and assistant text, no tool traffic."""
    out = []
    for m in history:
        if m.role == "assistant" and m.content:
            out.append(Message(role="assistant", content=m.content))
        elif m.role == "user" and m.content:
            out.append(Message(role="user", content=m.content))
    return out


@dataclass
class UserConversation:
    """One conversation as the simulator needs it."""

    task: Task
    domain: str
    history: list[Message]  # the full record (agent tool calls included; the simulator filters)
    environment: Environment | None = None  # runs the user's tool calls
    conversation_id: str = ""


@dataclass
class UserTurn:
    message: Message  # role="user", the text the agent will see
    tool_messages: list[Message] = field(default_factory=list)  # user tool calls + results, hidden
    usage: dict[str, Any] = field(default_factory=dict)  # prompt/completion tokens, cost

    @property
    def stop(self) -> bool:
        return is_stop(self.message.content)


class UserSimulator(ABC):
    """Subclasses implement `respond`; `respond_batch` runs many conversations concurrently."""

    name: ClassVar[str] = "base"

    @abstractmethod
    async def respond(self, conversation: UserConversation) -> UserTurn:
        """The user's next turn in one conversation."""

    async def respond_batch(self, conversations: list[UserConversation]) -> list[UserTurn]:
        return list(await asyncio.gather(*(self.respond(c) for c in conversations)))

    async def aclose(self) -> None:
        """Release clients, servers, models."""
