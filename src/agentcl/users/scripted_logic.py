"""The scripted user: a deterministic customer that answers from the scenario's known facts.

One function, `scripted_reply(messages, tools)`, takes a standard chat request as a user simulator
sends it (system prompt with the `<scenario>` block, then the flipped conversation) and returns
the next user move: text, or user tool calls. `ScriptedUserSimulator` calls it in-process and the
local relay calls it over HTTP, so both behave the same.

What it does, in order of precedence, on each agent message:
  open with the reason for the call -> report the results of its own tool calls -> call a user
  tool the agent asked for -> ###TRANSFER### after a transfer -> answer questions from the known
  facts -> "yes" to a confirmation -> ###STOP### once the agent reports the work done -> restate
  the request (twice at most, then stop).

User tools: a rule per domain, `rule(agent_text, user_tool_schemas) -> list[ToolCall]`. Register one
with `register_user_tool_rule(domain, rule)`, or put `user_tool_rule` in
`agentcl/domains/<domain>/scripted_rules.py`; otherwise `default_user_tool_rule` matches tool
names and keywords in the agent's message.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..data_model import ToolCall
from .base import OUT_OF_SCOPE, STOP, TRANSFER
from .prompt import parse_scenario, tool_calls_from_openai

MAX_USER_TURNS = 15  # the scripted user's message number MAX_USER_TURNS is a ###STOP### (it gives up)
MAX_RESTATEMENTS = 2

UserToolRule = Callable[[str, list[dict[str, Any]]], list[ToolCall]]


# ---------------------------------------------------------------------------------------------
# Facts from the scenario text
# ---------------------------------------------------------------------------------------------

# (kind, pattern, where to look): "known" = known info, "request" = reason for the call, "both".
# The first pattern that matches a kind wins; the first non-empty group (or the whole match) is the value.
_FACT_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("name", re.compile(r"\b(?:[Yy]ou are|[Yy]ou(?:r)? name is|[Mm]y name is|called) "
                        r"([A-Z][a-z]+(?: [A-Z][A-Za-z'\-]+)+)"), "both"),
    ("user_id", re.compile(r"user[ _]?id(?: is)?:?\s*['\"]?([A-Za-z0-9][A-Za-z0-9_\-]*\d[A-Za-z0-9_\-]*)", re.I), "both"),
    ("user_id", re.compile(r"\b[Yy]ou are ([a-z]+(?:_[a-z]+)*_\d+)\b"), "both"),
    ("email", re.compile(r"[\w.+\-]+@[\w\-]+\.[A-Za-z.]+[A-Za-z]"), "both"),
    ("phone", re.compile(r"\b\d{3}-\d{3}-\d{4}\b"), "both"),
    ("zip", re.compile(r"zip\s?(?:code)?(?: is)?:?\s*(\d{5})\b", re.I), "both"),
    ("zip", re.compile(r"\b(\d{5})\b"), "known"),  # "living in Denver, 80280"
    ("order_id", re.compile(r"#W\d{5,}"), "both"),
    ("reservation_id", re.compile(
        r"(?:reservation|confirmation number|confirmation code|booking)(?: id| number| code)?(?: is)?:?\s*"
        r"#?([A-Z0-9]{6})\b"), "both"),
    ("task_id", re.compile(r"\btask_\d+\b"), "both"),
    ("title", re.compile(r"(?<![A-Za-z])'([^']{2,80})'(?![A-Za-z])|\"([^\"]{2,80})\""), "request"),
]

# Labels for answers and for "I don't know my ...".
FACT_LABELS = {
    "user_id": "user id", "name": "name", "email": "email address", "phone": "phone number",
    "zip": "zip code", "order_id": "order id", "reservation_id": "reservation number",
    "task_id": "task id", "title": "title",
}

# What an agent says when it asks for a fact (checked in this order; lower-case).
_ASK_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("user_id", ("user id", "user_id", "userid", "account id", "customer id", "member id")),
    ("email", ("email", "e-mail")),
    ("zip", ("zip", "postal code", "postcode")),
    ("phone", ("phone",)),
    ("order_id", ("order id", "order number", "order #", "which order")),
    ("reservation_id", ("reservation number", "reservation id", "reservation code", "confirmation number",
                        "confirmation code", "booking reference", "booking number", "which reservation",
                        "which booking")),
    ("task_id", ("task id", "task_id", "which task", "task number")),
    ("title", ("title", "what should the task be called", "name of the task", "task name", "called")),
    ("name", ("your name", "full name", "first name", "last name", "first and last")),
]

_REQUEST_MARKERS = ("?", "please provide", "please share", "please give", "could you", "can you",
                    "may i have", "need your", "tell me", "let me know", "what is", "what's")
_CONFIRM_MARKERS = ("confirm", "proceed", "shall i", "should i", "do you want me to", "would you like me to",
                    "yes/no", "yes or no", "is that correct", "is this correct", "is that right", "go ahead")
_TRANSFER_MARKERS = ("transfer", "human agent", "hand you over", "connect you with")
_DONE_MARKERS = ("has been", "have been", "is now", "are now", "successfully", "done", "completed",
                 "created", "updated", "cancelled", "canceled", "processed", "refunded", "anything else",
                 "all set", "you have", "there are", "there is")


@dataclass
class Scenario:
    """What the scripted user knows: the scenario sections and the facts found in them."""

    sections: dict[str, str]
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return self.sections.get("domain", "").strip()

    @property
    def request(self) -> str:
        return self.sections.get("reason_for_call") or self.sections.get("instructions") or ""

    @classmethod
    def from_sections(cls, sections: dict[str, str]) -> "Scenario":
        known = "\n".join(sections.get(k, "") for k in ("known_info", "instructions"))
        request = sections.get("reason_for_call", "") + "\n" + sections.get("instructions", "")
        facts: dict[str, str] = {}
        texts = {"known": known, "request": request, "both": known + "\n" + request}
        for kind, pattern, where in _FACT_PATTERNS:
            match = None if kind in facts else pattern.search(texts[where])
            if match:
                groups = [g for g in match.groups() if g] if match.groups() else []
                facts[kind] = (groups[0] if groups else match.group(0)).strip()
        return cls(sections, facts)


def to_first_person(text: str) -> str:
    """'You want to cancel your order' -> 'I want to cancel my order' (good enough for scenarios)."""
    out = re.sub(r"\b(told|tell|give|gave|send|sent|help|helps|call|asked|ask|let|remind|charge|charged|"
                 r"refund|refunded|offer|offered|to|for|with) you\b", r"\1 me", text.strip(), flags=re.I)
    swaps = [(r"\byou are\b", "I am"), (r"\byou were\b", "I was"), (r"\byou're\b", "I'm"), (r"\byou've\b", "I've"), (r"\byou'd\b", "I'd"),
             (r"\byourself\b", "myself"), (r"\byours\b", "mine"), (r"\byour\b", "my"), (r"\byou\b", "I")]
    for pattern, repl in swaps:
        out = re.sub(pattern, lambda m, r=repl: r if m.group(0)[0].islower() else r[0].upper() + r[1:], out,
                     flags=re.I)
    return out


# ---------------------------------------------------------------------------------------------
# User tools
# ---------------------------------------------------------------------------------------------

_RULES: dict[str, UserToolRule] = {}
_SKIP_WORDS = {"get", "set", "the", "and", "for", "your", "my", "a", "an", "to", "of", "on", "in"}
_ID_TOKEN = re.compile(r"`([^`]+)`|'([^']+)'|\"([^\"]+)\"|\b([A-Za-z]+_[A-Za-z0-9_]*\d[A-Za-z0-9_]*)\b")


def register_user_tool_rule(domain: str, rule: UserToolRule) -> None:
    """Use `rule` for the user tools of `domain` (replaces the default rule)."""
    _RULES[domain] = rule


def user_tool_rule_for(domain: str) -> UserToolRule:
    if domain and domain not in _RULES:
        try:  # a domain may ship its rule in agentcl/domains/<domain>/scripted_rules.py
            module = importlib.import_module(f"agentcl.domains.{domain}.scripted_rules")
            if hasattr(module, "user_tool_rule"):
                _RULES[domain] = module.user_tool_rule
        except ModuleNotFoundError as exc:
            if exc.name not in (f"agentcl.domains.{domain}", f"agentcl.domains.{domain}.scripted_rules"):
                raise
    return _RULES.get(domain, default_user_tool_rule)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def _tool_mentioned(name: str, text: str) -> int | None:
    """Where in `text` the agent refers to tool `name` (its name, or all its words), else None."""
    lowered = text.lower()
    for form in (name.lower(), name.lower().replace("_", " ")):
        if form in lowered:
            return lowered.index(form)
    words = [_stem(w) for w in name.lower().split("_") if w and w not in _SKIP_WORDS]
    if not words:
        return None
    positions = []
    for w in words:
        match = re.search(rf"\b{re.escape(w)}", lowered)
        if match is None:
            return None
        positions.append(match.start())
    return min(positions)


def _pick_candidate(pname: str, candidates: list[tuple[int, str]], after: int) -> str | None:
    """The id-like token most likely meant for parameter `pname`: one that shares a prefix with the
    parameter's name (note_1 for notification_id), else the first one after the tool's mention."""
    stem = pname.lower().removesuffix("_id").removesuffix("_name")
    for _, value in candidates:
        prefix = re.split(r"[_\d]", value.lower(), maxsplit=1)[0]
        if len(prefix) >= 3 and (stem.startswith(prefix) or prefix.startswith(stem[:max(3, len(prefix))])):
            return value
    later = [value for where, value in candidates if where >= after]
    return (later or [value for _, value in candidates] or [None])[0]


def _fill_arguments(schema: dict[str, Any], text: str, tool_names: set[str], mentioned_at: int) -> dict[str, Any] | None:
    """Arguments for a tool from the agent's words; None when a required one cannot be found."""
    params = schema.get("parameters") or {}
    props: dict[str, Any] = params.get("properties") or {}
    required = set(params.get("required") or [])
    candidates = [(m.start(), next(g for g in m.groups() if g)) for m in _ID_TOKEN.finditer(text)]
    candidates = [(where, c) for where, c in candidates if c not in tool_names]
    lowered = text.lower()
    args: dict[str, Any] = {}
    for pname, pschema in props.items():
        ptype = pschema.get("type")
        value: Any = None
        if pschema.get("enum"):
            value = next((e for e in pschema["enum"] if str(e).lower() in lowered), None)
        elif ptype == "boolean":
            if re.search(r"\b(off|disable|turn off|deactivate)\b", lowered):
                value = False
            elif re.search(r"\b(on|enable|turn on|activate)\b", lowered):
                value = True
        elif ptype in ("integer", "number"):
            number = re.search(r"-?\d+(?:\.\d+)?", text)
            if number:
                value = int(float(number.group(0))) if ptype == "integer" else float(number.group(0))
        else:
            value = _pick_candidate(pname, candidates, mentioned_at)
            candidates = [(w, c) for w, c in candidates if c != value]
        if value is not None:
            args[pname] = value
        elif pname in required:
            return None
    return args


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_ASKING = re.compile(r"\b(please|could you|can you|would you|will you|try|go ahead|let's|lets|now)\b|\?", re.I)


def _requests_of(text: str, tool_names: list[str]) -> list[tuple[int, str]]:
    """(offset, sentence) for each sentence that asks the user to do something: a question, a polite
    request, an imperative starting with a tool's verb ("Check your inbox."), or one naming a tool
    exactly ("Run `check_notifications`.")."""
    verbs = {name.split("_")[0].lower() for name in tool_names if name}
    exact = [name for name in tool_names if "_" in name]
    out = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        first = sentence.split(" ", 1)[0].lower().strip(",") if sentence else ""
        if sentence and (_ASKING.search(sentence) or first in verbs or any(n in sentence for n in exact)):
            out.append((match.start(), match.group(0)))
    return out


def default_user_tool_rule(agent_text: str, tool_schemas: list[dict[str, Any]]) -> list[ToolCall]:
    """Call each user tool the agent asks for (by name, or by all the words of its name), in order.

    Only sentences that ask something count, so "the notification is dismissed" calls nothing
    while "please dismiss notification note_1" does.
    """
    functions = [s.get("function", s) for s in tool_schemas]
    names = [f.get("name", "") for f in functions]
    found: list[tuple[int, ToolCall]] = []
    for offset, sentence in _requests_of(agent_text, names):
        for fn in functions:
            where = _tool_mentioned(fn.get("name", ""), sentence)
            if where is None or any(c.name == fn["name"] for _, c in found):
                continue
            args = _fill_arguments(fn, agent_text, set(names), offset + where)
            if args is not None:
                found.append((offset + where, ToolCall(name=fn["name"], arguments=args, requestor="user")))
    return [call for _, call in sorted(found, key=lambda pair: pair[0])]


# ---------------------------------------------------------------------------------------------
# The reply
# ---------------------------------------------------------------------------------------------

@dataclass
class ScriptedReply:
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)


class ScenarioMissing(ValueError):
    """The request's system prompt has no <scenario> block, so there is nobody to play."""


def _asked_facts(agent_text: str, scenario: Scenario) -> list[str]:
    lowered = agent_text.lower()
    if not any(marker in lowered for marker in _REQUEST_MARKERS):
        return []
    asked = []
    for kind, keywords in _ASK_KEYWORDS:
        if any(k in lowered for k in keywords):
            value = scenario.facts.get(kind)
            if value and value.lower() in lowered:
                continue  # the agent already states it: it is not asking for it
            if kind == "name" and "title" in asked:
                continue
            asked.append(kind)
    return asked


def _answer(kinds: list[str], scenario: Scenario) -> tuple[str, bool]:
    """Sentences answering the asked facts; the flag says whether any was unknown."""
    parts, unknown = [], False
    for kind in kinds:
        value = scenario.facts.get(kind)
        label = FACT_LABELS[kind]
        if value is None:
            unknown = True
            parts.append(f"Sorry, I don't know the {label}." if kind in ("title", "order_id", "reservation_id", "task_id")
                         else f"Sorry, I don't know my {label}.")
        elif kind == "title":
            parts.append(f"The title is '{value}'.")
        elif kind in ("order_id", "reservation_id", "task_id"):
            parts.append(f"The {label} is {value}.")
        else:
            parts.append(f"My {label} is {value}.")
    return " ".join(parts), unknown


def _summarise_tool_results(view: list[dict[str, Any]]) -> str:
    """Report the tool results that follow the last agent message (the user's own checks)."""
    names_by_id = {}
    for msg in view:
        for call in tool_calls_from_openai(msg.get("tool_calls")):
            names_by_id[call["id"]] = call["name"]
    reports = []
    for msg in reversed(view):
        if msg["role"] != "tool":
            if msg["role"] == "user":
                break
            continue
        content = str(msg.get("content") or "")
        if len(content) > 400:
            content = content[:400] + "..."
        reports.append(f"{names_by_id.get(msg.get('tool_call_id'), 'the check')}: {content}")
    return "I did that on my side. " + " | ".join(reversed(reports))


def scripted_reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
                   max_turns: int = MAX_USER_TURNS) -> ScriptedReply:
    """The scripted user's next move for a chat request (system prompt with a scenario first)."""
    system_text = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")
    sections = parse_scenario(system_text)
    if sections is None:
        raise ScenarioMissing("the scripted user needs a system prompt with a <scenario> block "
                              "(as agentcl's user simulators send)")
    scenario = Scenario.from_sections(sections)
    view = [m for m in messages if m.get("role") != "system"]
    own_texts = [m for m in view if m["role"] == "assistant" and m.get("content")]
    last_agent = next((i for i in range(len(view) - 1, -1, -1) if view[i]["role"] == "user"), None)
    agent_text = str(view[last_agent].get("content") or "") if last_agent is not None else ""
    after_agent = view[last_agent + 1:] if last_agent is not None else view

    if not own_texts:  # opening: the reason for the call
        return ScriptedReply(f"Hi. {to_first_person(scenario.request)}".strip())
    if len(own_texts) + 1 >= max_turns:  # this message would be the last one allowed
        return ScriptedReply(f"I have to go now. {STOP}")
    if after_agent and after_agent[-1]["role"] == "tool":
        return ScriptedReply(_summarise_tool_results(view))
    if tools and not any(m.get("tool_calls") for m in after_agent):
        calls = user_tool_rule_for(scenario.domain)(agent_text, tools)
        if calls:  # ids from the position in the chat, so replays of a conversation are identical
            return ScriptedReply(None, [c.model_copy(update={"id": f"user_call_{len(view)}_{i}", "requestor": "user"})
                                        for i, c in enumerate(calls)])

    lowered = agent_text.lower()
    if any(marker in lowered for marker in _TRANSFER_MARKERS) and "?" not in agent_text:
        return ScriptedReply(TRANSFER)
    asked = _asked_facts(agent_text, scenario)
    if asked:
        text, unknown = _answer(asked, scenario)
        said_unknown_before = any("I don't know" in str(m.get("content")) for m in own_texts)
        if unknown and all(k not in scenario.facts for k in asked) and said_unknown_before:
            return ScriptedReply(f"I don't have that information. {OUT_OF_SCOPE}")
        return ScriptedReply(text)
    if any(marker in lowered for marker in _CONFIRM_MARKERS) and "?" in agent_text:
        return ScriptedReply("Yes, please go ahead.")
    if any(marker in lowered for marker in _DONE_MARKERS) or "?" not in agent_text:
        return ScriptedReply(f"Great, thank you. That's all I needed. {STOP}")
    restated = sum(1 for m in own_texts if str(m.get("content", "")).startswith("As I said"))
    if restated >= MAX_RESTATEMENTS:
        return ScriptedReply(f"Never mind, thanks. {STOP}")
    return ScriptedReply(f"As I said: {to_first_person(scenario.request)}")


def reply_to_openai_message(reply: ScriptedReply) -> dict[str, Any]:
    """The reply as an OpenAI chat-completion message (content and/or tool_calls)."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for c in reply.tool_calls
        ]
    return message
