"""Parse an agent completion into text and tool calls, per chat-template family.

A malformed call (bad JSON, no name, arguments that are not an object, an unclosed tag) is kept as
a `ParsedToolCall` with `error` set: the engine answers it with a tool error message the agent sees,
and it counts as a tool error, as a refused call would.

Families register in TOOL_CALL_PARSERS; "qwen3" and "hermes" share the `<tool_call>{json}</tool_call>`
format. Add a family with `register_tool_call_parser(name, parser)`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import UnknownNameError


@dataclass
class ParsedToolCall:
    name: str | None
    arguments: dict[str, Any]
    raw: str  # the text of the call as the model wrote it
    error: str | None = None  # why the call could not be parsed; None when it is well formed

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ParsedCompletion:
    content: str  # text outside the tool-call blocks, stripped
    tool_calls: list[ParsedToolCall] = field(default_factory=list)  # in the order written

    @property
    def errors(self) -> list[ParsedToolCall]:
        return [c for c in self.tool_calls if not c.ok]


class ToolCallParser(Protocol):
    def parse(self, text: str) -> ParsedCompletion: ...


class HermesToolCallParser:
    """`<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>` blocks, any number, anywhere."""

    start = "<tool_call>"
    end = "</tool_call>"

    def __init__(self) -> None:
        self._block = re.compile(re.escape(self.start) + r"(.*?)(?:" + re.escape(self.end) + r"|$)", re.S)

    def parse(self, text: str) -> ParsedCompletion:
        calls: list[ParsedToolCall] = []
        pieces: list[str] = []
        cursor = 0
        for match in self._block.finditer(text):
            pieces.append(text[cursor : match.start()])
            cursor = match.end()
            closed = match.group(0).endswith(self.end)
            calls.append(self._parse_block(match.group(1), raw=match.group(0), closed=closed))
        pieces.append(text[cursor:])
        return ParsedCompletion(content="".join(pieces).strip(), tool_calls=calls)

    def _parse_block(self, body: str, *, raw: str, closed: bool) -> ParsedToolCall:
        if not closed:
            return ParsedToolCall(None, {}, raw, f"the tool call is not closed with {self.end}")
        try:
            payload = json.loads(body)
        except json.JSONDecodeError as exc:
            return ParsedToolCall(None, {}, raw, f"the tool call is not valid JSON ({exc.msg} at char {exc.pos})")
        if not isinstance(payload, dict):
            return ParsedToolCall(None, {}, raw, "the tool call must be a JSON object with 'name' and 'arguments'")
        name = payload.get("name")
        if not isinstance(name, str) or not name.strip():
            return ParsedToolCall(None, {}, raw, "the tool call has no 'name'")
        arguments = payload.get("arguments", {})
        if isinstance(arguments, str):  # some models JSON-encode the arguments twice
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError:
                return ParsedToolCall(name, {}, raw, "the tool call's 'arguments' is a string that is not JSON")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return ParsedToolCall(name, {}, raw, "the tool call's 'arguments' must be a JSON object")
        return ParsedToolCall(name.strip(), arguments, raw)


TOOL_CALL_PARSERS: dict[str, ToolCallParser] = {
    "qwen3": HermesToolCallParser(),
    "hermes": HermesToolCallParser(),
}


def register_tool_call_parser(name: str, parser: ToolCallParser) -> ToolCallParser:
    TOOL_CALL_PARSERS[name] = parser
    return parser


def get_tool_call_parser(name_or_parser: str | ToolCallParser = "qwen3") -> ToolCallParser:
    if not isinstance(name_or_parser, str):
        return name_or_parser
    if name_or_parser not in TOOL_CALL_PARSERS:
        raise UnknownNameError("tool-call parser", name_or_parser, list(TOOL_CALL_PARSERS))
    return TOOL_CALL_PARSERS[name_or_parser]
