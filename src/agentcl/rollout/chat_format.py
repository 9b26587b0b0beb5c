"""What the agent sees: the system prompt, its view of the conversation, and chat-template dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..data_model import Message, Task

if TYPE_CHECKING:
    from ..domains.base import DomainData

SystemPromptFn = Callable[["DomainData", Task], str]


def default_system_prompt(domain: "DomainData", task: Task) -> str:
    """The agent's instructions: act for the company, follow the domain policy, use the tools."""
    return (
        "You are a customer service agent. Help the user with their request, following the policy "
        "below exactly. Use the tools to look up and change information; never invent facts. "
        "Make one tool call at a time or several independent ones, and wait for their results. "
        "When you speak to the user, write plain text. "
        "When the conversation is finished, end your message with ###STOP###.\n\n"
        f"<policy>\n{domain.policy.strip()}\n</policy>"
    )


def visible_to_agent(messages: list[Message]) -> list[Message]:
    """The agent's view: user text, its own messages and its tool results; the user's tool traffic is hidden."""
    out = []
    for m in messages:
        if m.role == "tool":
            if m.requestor != "user":
                out.append(m)
        elif m.role == "user":
            if m.content:  # a user message that only carried user tool calls is hidden
                out.append(Message(role="user", content=m.content))
        else:
            out.append(m)
    return out


def to_chat_dict(message: Message) -> dict[str, Any]:
    """One message in the dict form chat templates take (tool-call arguments as a mapping)."""
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if message.role == "assistant" and message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.role == "tool" and message.id:
        out["tool_call_id"] = message.id
    return out


def to_chat_dicts(messages: list[Message]) -> list[dict[str, Any]]:
    return [to_chat_dict(m) for m in messages]
