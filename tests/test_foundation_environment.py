"""Tools -> schemas, per-conversation DB copies, errors as tool messages, initial state."""

from __future__ import annotations

import json

import pytest

from agentcl.data_model import EnvFunctionCall, InitialState, Message, ToolCall
from agentcl.environment import Database, ToolKind, parse_docstring
from agentcl.registry import load_domain
from helpers import REFERENCE_DATA


@pytest.fixture(scope="module")
def mock_ref():
    return load_domain("mock", REFERENCE_DATA)


def test_schema_from_signature_and_docstring(mock_ref):
    env = mock_ref.make_environment()
    schemas = {s["function"]["name"]: s["function"] for s in env.agent_tool_schemas()}
    assert set(schemas) == {"create_task", "get_users", "update_task_status", "transfer_to_human_agents"}
    create = schemas["create_task"]
    assert create["description"] == "Create a new task for a user."
    assert create["parameters"]["required"] == ["user_id", "title"]
    assert create["parameters"]["properties"]["user_id"] == {"type": "string", "description": "The id of the user who owns the task."}
    assert env.agent_tools.tool_kind("create_task") is ToolKind.WRITE
    assert env.agent_tools.tool_kind("get_users") is ToolKind.READ
    assert env.agent_tools.tool_kind("transfer_to_human_agents") is ToolKind.GENERIC
    assert {s["function"]["name"] for s in env.user_tool_schemas()} == {"check_notifications", "dismiss_notification"}


def test_docstring_parsing_handles_continuations():
    desc, args = parse_docstring("""Do a thing.

    More words.

    Args:
        a: first line
            continued here.
        b (int): second.

    Returns:
        nothing
    """)
    assert desc == "Do a thing.\n\nMore words."
    assert args == {"a": "first line continued here.", "b": "second."}


def test_each_conversation_gets_its_own_db(mock_ref):
    one, two = mock_ref.make_environment(), mock_ref.make_environment()
    reply = one.get_response(ToolCall(name="update_task_status", arguments={"task_id": "task_1", "status": "completed"}))
    assert not reply.error and json.loads(reply.content)["status"] == "completed"
    assert one.agent_tools.data["tasks"]["task_1"]["status"] == "completed"
    assert two.agent_tools.data["tasks"]["task_1"]["status"] == "pending"
    assert mock_ref.db.data["tasks"]["task_1"]["status"] == "pending"
    assert one.agent_db_hash() != two.agent_db_hash()


@pytest.mark.parametrize(
    "call, expected",
    [
        (ToolCall(name="update_task_status", arguments={"task_id": "task_9", "status": "completed"}), "task task_9 not found"),
        (ToolCall(name="update_task_status", arguments={"task_id": "task_1"}), "status: Field required"),
        (ToolCall(name="update_task_status", arguments={"task_id": "task_1", "status": "done", "x": 1}), "x: Extra inputs"),
        (ToolCall(name="delete_task", arguments={}), "unknown tool 'delete_task'"),
        (ToolCall(name="check_notifications", arguments={}, requestor="assistant"), "unknown tool"),
    ],
)
def test_failures_become_error_messages(mock_ref, call, expected):
    reply = mock_ref.make_environment().get_response(call)
    assert reply.role == "tool" and reply.error and reply.id == call.id
    assert expected in reply.content


def test_tool_crash_does_not_escape(mock_ref):
    env = mock_ref.make_environment()
    del env.agent_tools.data["users"]  # corrupt the DB so the tool itself raises KeyError
    reply = env.get_response(ToolCall(name="create_task", arguments={"user_id": "user_1", "title": "x"}))
    assert reply.error and reply.content.startswith("Error: KeyError")


def test_initial_state_merge_actions_and_history(mock_ref):
    env = mock_ref.make_environment()
    history = env.set_state(InitialState.model_validate({
        "initialization_data": {"agent_data": {"users": {"user_1": {"name": "Renamed"}}}},
        "initialization_actions": [{"env_type": "user", "func_name": "add_notification",
                                    "arguments": {"notification_id": "n9", "message": "hi"}}],
        "message_history": [
            {"role": "user", "content": "make a task"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "name": "create_task",
                                                  "arguments": {"user_id": "user_1", "title": "T"}}]},
            {"role": "tool", "id": "c1", "content": "{}"},
        ],
    }))
    assert len(history) == 3 and isinstance(history[0], Message)
    users = env.agent_tools.data["users"]
    assert users["user_1"]["name"] == "Renamed" and users["user_1"]["tasks"] == ["task_1", "task_2"]  # merged, not replaced
    assert env.agent_tools.data["tasks"]["task_2"]["title"] == "T"  # history's tool call replayed
    assert env.run_function(EnvFunctionCall(env_type="user", func_name="assert_notification_status",
                                            arguments={"notification_id": "n9", "expected_status": "unread"}))


def test_database_copy_and_hash_are_canonical():
    a = Database({"b": 1, "a": {"x": [1, 2]}})
    b = Database({"a": {"x": [1, 2]}, "b": 1})
    assert a.hash() == b.hash()
    c = a.copy()
    c.data["a"]["x"].append(3)
    assert a.data["a"]["x"] == [1, 2] and a.hash() != c.hash()
