"""What a user simulator is told, and what it sees of the conversation.

The system prompt holds our guidelines and the task's scenario in a marked `<scenario>` block with
`## Section` headings. A real LLM reads it as plain instructions; our local relay parses the same
block back (`parse_scenario`) to answer as the scripted user, so one standard chat request works
against both.

Role flipping: the simulator is the "assistant" of its own chat. The agent's text becomes the
simulator's "user" messages; the simulator's earlier turns become its "assistant" messages; its own
tool calls and their results stay in its view; the agent's tool calls and results are hidden.
"""

from __future__ import annotations

import json
from typing import Any

from ..data_model import Message, Task
from ..data_model.tasks import StructuredInstructions
from .base import OUT_OF_SCOPE, STOP, TRANSFER

SCENARIO_OPEN = "<scenario>"
SCENARIO_CLOSE = "</scenario>"

# Section keys in the order they are rendered, with their headings.
SECTION_TITLES: dict[str, str] = {
    "domain": "Domain",
    "persona": "Persona",
    "reason_for_call": "Reason for call",
    "known_info": "Known info",
    "unknown_info": "Unknown info",
    "task_instructions": "Task instructions",
    "instructions": "Instructions",  # a scenario whose instructions are one free-text string
}
_KEY_BY_TITLE = {title.lower(): key for key, title in SECTION_TITLES.items()}

GUIDELINES = f"""You are role-playing a customer who contacts a customer-service agent. The scenario at the
end says who you are and what you want. The other side of this chat is the agent.

How to behave:
- Stay in character as the customer for the whole conversation. You are not the agent: never offer
  help, never answer on the agent's behalf.
- Open by saying why you are getting in touch, in your own words. Do not paste the scenario.
- Reveal only what the scenario tells you, and only when the agent needs it. Give one piece of
  information at a time unless the agent asks for several at once.
- Never invent facts: no made-up ids, names, numbers, addresses or events. If the agent asks for
  something the scenario does not give you, say you do not know it.
- Follow the task instructions in the scenario (what to accept, what to refuse, when to insist).
- Keep messages short and natural, the way a person types in a support chat.
- You only see what the agent writes; the agent's own tools and lookups are invisible to you.

How to end:
- When your request is done, or clearly cannot be done, end your message with {STOP}.
- If the agent transfers you to a human or another department, reply with {TRANSFER}.
- If the agent needs something to go on that the scenario does not contain and you cannot
  continue, reply with {OUT_OF_SCOPE}.
"""

TOOL_GUIDELINES = """
You also have tools that act on your own side (your device or your account), listed with this chat.
Use them when the agent asks you to check or do something yourself, then tell the agent what you
saw. Never describe a result you have not seen from a tool.
"""

# When the agent has not spoken yet the chat still needs a first "user" message.
CONVERSATION_START = "(The support chat is open. Write your first message to the agent.)"


def scenario_sections(task: Task, domain: str) -> dict[str, str]:
    """The scenario of a task as named text sections (empty ones left out)."""
    scenario = task.user_scenario
    sections: dict[str, str] = {"domain": domain}
    if scenario.persona:
        sections["persona"] = scenario.persona.strip()
    instructions = scenario.instructions
    if isinstance(instructions, StructuredInstructions):
        for key in ("reason_for_call", "known_info", "unknown_info", "task_instructions"):
            value = getattr(instructions, key)
            if value and value.strip():
                sections[key] = value.strip()
    elif instructions and str(instructions).strip():
        sections["instructions"] = str(instructions).strip()
    return sections


def render_scenario(sections: dict[str, str]) -> str:
    body = "\n\n".join(
        f"## {SECTION_TITLES[key]}\n{sections[key]}" for key in SECTION_TITLES if sections.get(key)
    )
    return f"{SCENARIO_OPEN}\n{body}\n{SCENARIO_CLOSE}"


def parse_scenario(system_text: str | None) -> dict[str, str] | None:
    """Sections back from a system prompt built by `build_system_prompt`; None if it has no block."""
    if not system_text or SCENARIO_OPEN not in system_text:
        return None
    body = system_text.split(SCENARIO_OPEN, 1)[1].split(SCENARIO_CLOSE, 1)[0]
    sections: dict[str, str] = {}
    key, lines = None, []
    for line in body.splitlines():
        heading = line[3:].strip().lower() if line.startswith("## ") else None
        if heading in _KEY_BY_TITLE:
            if key:
                sections[key] = "\n".join(lines).strip()
            key, lines = _KEY_BY_TITLE[heading], []
        elif key:
            lines.append(line)
    if key:
        sections[key] = "\n".join(lines).strip()
    return sections


def build_system_prompt(task: Task, domain: str, has_user_tools: bool = False) -> str:
    text = GUIDELINES + (TOOL_GUIDELINES if has_user_tools else "")
    return f"{text}\nScenario:\n{render_scenario(scenario_sections(task, domain))}\n"


def flip_history(history: list[Message]) -> list[dict[str, Any]]:
    """The conversation as the simulator's own chat (OpenAI message dicts, no system message)."""
    out: list[dict[str, Any]] = []
    for m in history:
        if m.role == "assistant":
            if m.content:  # the agent's tool calls are hidden; its words are the user's input
                out.append({"role": "user", "content": m.content})
        elif m.role == "user":
            if m.tool_calls:
                out.append({"role": "assistant", "content": m.content or None,
                            "tool_calls": [c.to_openai() for c in m.tool_calls]})
            elif m.content:
                out.append({"role": "assistant", "content": m.content})
        elif m.role == "tool" and m.requestor == "user":
            out.append({"role": "tool", "tool_call_id": m.id, "content": m.content or ""})
    if not any(msg["role"] == "user" for msg in out):
        out.insert(0, {"role": "user", "content": CONVERSATION_START})
    return out


def tool_calls_from_openai(raw_calls: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """[{id, name, arguments: dict}] from OpenAI-format tool calls; bad JSON arguments become {}."""
    calls = []
    for raw in raw_calls or []:
        fn = raw.get("function") or {}
        args = fn.get("arguments") or {}
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError:
                args = {}
        calls.append({"id": raw.get("id"), "name": fn.get("name", ""), "arguments": args if isinstance(args, dict) else {}})
    return calls
