"""Shared pieces of the rollout tests: the tiny agent, a small deterministic user, scripted agent turns."""

from __future__ import annotations

import json
from pathlib import Path

from agentcl.data_model import Message, ToolCall
from agentcl.rollout import GenerationParams, HFGenerationBackend, RolloutEngine, RolloutLimits, ScriptedAgent
from agentcl.users.base import UserConversation, UserSimulator, UserTurn


def tiny_agent(tmp_path_factory):
    """(model, tokenizer), built once per test session (ensure_tiny_agent is idempotent)."""
    from agentcl.models import load_tiny_agent

    return load_tiny_agent(Path(tmp_path_factory.getbasetemp()) / "tiny-agent")


class CountingUser(UserSimulator):
    """A user that states its task, answers a few times, then says ###STOP###.

    `check_inbox_on` makes it run its own (hidden) user tool on that turn; `fail_for` lists
    task ids for which it raises, like a broken API would.
    """

    name = "counting-test-user"

    def __init__(self, stop_after: int = 3, check_inbox_on: int | None = None, fail_for: set[str] | None = None):
        self.stop_after = stop_after
        self.check_inbox_on = check_inbox_on
        self.fail_for = fail_for or set()
        self.calls = 0

    async def respond(self, conversation: UserConversation) -> UserTurn:
        self.calls += 1
        if conversation.task.id in self.fail_for:
            raise ConnectionError("simulated outage (api_key=sk-" "test-should-be-redacted-1234567890)")
        turn = sum(1 for m in conversation.history if m.role == "user" and m.content)
        if turn >= self.stop_after:
            return UserTurn(Message(role="user", content="Thanks, that is all. ###STOP###"))
        hidden = []
        if self.check_inbox_on is not None and turn == self.check_inbox_on and conversation.environment:
            call = ToolCall(id=f"user_call_{turn}", name="check_notifications", arguments={}, requestor="user")
            hidden = [Message(role="user", tool_calls=[call]), conversation.environment.get_response(call)]
        return UserTurn(Message(role="user", content=f"Message {turn} about {conversation.task.id}."), hidden)


def tool_call_text(name: str, arguments: dict, content: str = "") -> str:
    """Agent text in the Qwen3 format, exactly as the chat template renders an assistant tool call."""
    call = '<tool_call>\n{"name": "%s", "arguments": %s}\n</tool_call>' % (name, json.dumps(arguments))
    return f"{content}\n{call}" if content else call


def scripted_engine(model, tokenizer, user, script, *, max_new_tokens=96, limits=None, strict=True,
                    **kwargs) -> RolloutEngine:
    """An engine whose agent writes `script(conversation)` (None: sample freely)."""
    agent = ScriptedAgent(tokenizer, script, strict=strict)
    backend = HFGenerationBackend(model, tokenizer, extra_logits_processors=agent)
    return RolloutEngine(tokenizer, user, backend=backend, generation=GenerationParams(max_new_tokens=max_new_tokens),
                         limits=limits or RolloutLimits(max_total_tokens=4096), **kwargs)
