"""Parsing agent completions in the Qwen3/Hermes tool-call format, malformed calls included."""

from __future__ import annotations

import pytest

from agentcl.errors import UnknownNameError
from agentcl.rollout import TOOL_CALL_PARSERS, HermesToolCallParser, get_tool_call_parser, register_tool_call_parser


@pytest.fixture
def parser():
    return get_tool_call_parser("qwen3")


def test_plain_text_has_no_calls(parser):
    parsed = parser.parse("  Your task task_3 is now completed.  ")
    assert parsed.content == "Your task task_3 is now completed."
    assert parsed.tool_calls == []


def test_several_calls_with_text_around(parser):
    text = ('Let me check.\n<tool_call>\n{"name": "get_users", "arguments": {}}\n</tool_call>\n'
            '<tool_call>\n{"name": "update_task_status", "arguments": {"task_id": "task_1", "status": "completed"}}'
            '\n</tool_call>')
    parsed = parser.parse(text)
    assert parsed.content == "Let me check."
    assert [(c.name, c.arguments, c.ok) for c in parsed.tool_calls] == [
        ("get_users", {}, True),
        ("update_task_status", {"task_id": "task_1", "status": "completed"}, True),
    ]
    assert parsed.errors == []


def test_arguments_encoded_as_a_json_string_are_accepted(parser):
    parsed = parser.parse('<tool_call>{"name": "get_users", "arguments": "{\\"x\\": 1}"}</tool_call>')
    assert parsed.tool_calls[0].arguments == {"x": 1} and parsed.tool_calls[0].ok


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": "get_users", "arguments": {}', "not valid JSON"),
        ('["get_users"]', "must be a JSON object"),
        ('{"arguments": {}}', "no 'name'"),
        ('{"name": "  ", "arguments": {}}', "no 'name'"),
        ('{"name": "get_users", "arguments": [1, 2]}', "'arguments' must be a JSON object"),
        ('{"name": "get_users", "arguments": "not json"}', "string that is not JSON"),
    ],
)
def test_malformed_calls_become_errors(parser, body, message):
    parsed = parser.parse(f"Trying.\n<tool_call>\n{body}\n</tool_call>")
    assert parsed.content == "Trying."
    (call,) = parsed.tool_calls
    assert not call.ok and message in call.error
    assert call.raw.startswith("<tool_call>") and call.raw.endswith("</tool_call>")
    assert parsed.errors == [call]


def test_unclosed_call_is_an_error_and_good_calls_before_it_survive(parser):
    text = ('<tool_call>\n{"name": "get_users", "arguments": {}}\n</tool_call>\n'
            '<tool_call>\n{"name": "create_task", "argum')
    parsed = parser.parse(text)
    assert [c.ok for c in parsed.tool_calls] == [True, False]
    assert "not closed" in parsed.tool_calls[1].error
    assert parsed.content == ""


def test_parser_registry():
    assert isinstance(get_tool_call_parser("hermes"), HermesToolCallParser)
    with pytest.raises(UnknownNameError, match="known tool-call parsers: .*qwen3"):
        get_tool_call_parser("no-such-family")

    class Upper(HermesToolCallParser):
        pass

    custom = register_tool_call_parser("test-upper", Upper())
    assert get_tool_call_parser("test-upper") is custom
    assert get_tool_call_parser(custom) is custom  # an instance passes through
    TOOL_CALL_PARSERS.pop("test-upper")
