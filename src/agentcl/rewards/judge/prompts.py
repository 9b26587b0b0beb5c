"""The prompts the LLM judges send, and how to read them back (for the offline judge).

A judge prompt is two OpenAI-format messages: a system message with the instructions and the
rubric, and a user message holding the conversation and (for the assertion judge) the
assertions. The conversation is written one JSON object per line between `<conversation>` tags,
and the assertions one JSON string per line between `<assertions>` tags: readable for a model,
and exact to parse back for `offline_judge.answer`, which plays the judge on the local relay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...data_model import Message, Task

ASSERTION_MARKER = "[agentcl-judge:nl-assertions/v1]"
QUALITY_MARKER = "[agentcl-judge:quality/v1]"

ASSERTION_SYSTEM = f"""{ASSERTION_MARKER}
You grade a customer-service conversation between an AI agent and a user. For each assertion,
decide from the conversation alone whether it holds for the agent's behaviour. Tool calls and tool
results are part of the conversation; the agent's final state of mind is not.

Answer with JSON only, no prose, in exactly this shape, one entry per assertion, in order:
{{"results": [{{"assertion": "<the assertion>", "met": true, "reason": "<one sentence>"}}]}}"""

QUALITY_RUBRIC = """Score the agent's work from 0 to 1:
- 1.0: resolved the user's request correctly, followed the policy, used tools correctly, clear
  and concise replies;
- 0.7: resolved it with minor problems (an unneeded tool call, verbose or slightly unclear text);
- 0.4: partly resolved, or resolved but broke a rule of the policy or misinformed the user;
- 0.1: did not resolve it, or acted against the user's explicit wishes;
- 0.0: no meaningful reply."""

QUALITY_SYSTEM = f"""{QUALITY_MARKER}
You grade the quality of an AI customer-service agent in one conversation.
<rubric>
{QUALITY_RUBRIC}
</rubric>
Answer with JSON only, no prose, in exactly this shape:
{{"score": <a number from 0 to 1>, "reason": "<one sentence>"}}"""


def _message_record(message: Message | dict[str, Any]) -> dict[str, Any]:
    m = message if isinstance(message, dict) else message.model_dump(exclude_none=True)
    record: dict[str, Any] = {"role": m["role"]}
    if m.get("content"):
        record["content"] = m["content"]
    if m.get("tool_calls"):
        record["tool_calls"] = [
            {"name": c.get("name") or c.get("function", {}).get("name"),
             "arguments": c.get("arguments", c.get("function", {}).get("arguments"))}
            for c in m["tool_calls"]
        ]
    if m["role"] == "tool" and m.get("error"):
        record["error"] = True
    return record


def render_conversation(messages: Iterable[Message | dict[str, Any]]) -> str:
    """System prompts are left out: the agent's policy is not the judge's business here."""
    lines = [json.dumps(_message_record(m), ensure_ascii=False)
             for m in messages if (m["role"] if isinstance(m, dict) else m.role) != "system"]
    return "<conversation>\n" + "\n".join(lines) + "\n</conversation>"


def _task_context(task: Task | None) -> str:
    if task is None or task.description is None or not task.description.purpose:
        return ""
    return f"<task_purpose>\n{task.description.purpose}\n</task_purpose>\n\n"


def assertion_prompt(task: Task | None, messages: list[Message], assertions: list[str]) -> list[dict[str, str]]:
    listed = "\n".join(json.dumps(a, ensure_ascii=False) for a in assertions)
    user = (f"{_task_context(task)}{render_conversation(messages)}\n\n"
            f"<assertions>\n{listed}\n</assertions>")
    return [{"role": "system", "content": ASSERTION_SYSTEM}, {"role": "user", "content": user}]


def quality_prompt(task: Task | None, messages: list[Message]) -> list[dict[str, str]]:
    user = f"{_task_context(task)}{render_conversation(messages)}"
    return [{"role": "system", "content": QUALITY_SYSTEM}, {"role": "user", "content": user}]


# -- reading a prompt back ---------------------------------------------------------------------
def _section(text: str, tag: str) -> list[str] | None:
    """The lines between `<tag>` and `</tag>` (each on its own line), or None if absent."""
    lines = text.split("\n")
    try:
        start = lines.index(f"<{tag}>")
        end = lines.index(f"</{tag}>", start + 1)
    except ValueError:
        return None
    return lines[start + 1:end]


def read_prompt(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(kind "assertions" | "quality", conversation records, assertions) from a judge prompt.

    Raises ValueError when the messages are not a prompt these judges wrote.
    """
    system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
    user = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    if ASSERTION_MARKER in system:
        kind = "assertions"
    elif QUALITY_MARKER in system:
        kind = "quality"
    else:
        raise ValueError("not an agentcl judge prompt (no judge marker in the system message)")
    conversation_lines = _section(user, "conversation")
    if conversation_lines is None:
        raise ValueError("judge prompt has no <conversation> section")
    conversation = [json.loads(line) for line in conversation_lines if line.strip()]
    assertions: list[str] = []
    if kind == "assertions":
        assertion_lines = _section(user, "assertions")
        if assertion_lines is None:
            raise ValueError("assertion prompt has no <assertions> section")
        assertions = [json.loads(line) for line in assertion_lines if line.strip()]
    return kind, conversation, assertions
