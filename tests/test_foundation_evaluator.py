"""The task evaluator on the reference mock tasks and hand-made conversations."""

from __future__ import annotations

import pytest

from agentcl.check_data import do_nothing_conversation, gold_conversation
from agentcl.data_model import Message, RewardType, TerminationReason, ToolCall
from agentcl.registry import load_domain
from agentcl.rewards.evaluator import evaluate_run, start_evaluation
from helpers import REFERENCE_DATA


@pytest.fixture(scope="module")
def mock_ref():
    return load_domain("mock", REFERENCE_DATA)


def _say(text):
    return Message(role="assistant", content=text)


def _call(name, **arguments):
    return Message(role="assistant", tool_calls=[ToolCall(name=name, arguments=arguments)])


def test_gold_conversation_scores_one_and_abnormal_endings_zero(mock_ref):
    task = mock_ref.task("update_task_1")
    messages = gold_conversation(task)
    assert evaluate_run(task, mock_ref, messages, TerminationReason.USER_STOP, judge=None).reward == 1.0
    assert evaluate_run(task, mock_ref, messages, TerminationReason.AGENT_STOP).reward == 1.0
    for ending in (TerminationReason.MAX_STEPS, TerminationReason.TOO_MANY_ERRORS, TerminationReason.MAX_TOKENS):
        assert evaluate_run(task, mock_ref, messages, ending).reward == 0.0


def test_db_component_sees_wrong_write(mock_ref):
    task = mock_ref.task("update_task_1")
    gold = task.gold_actions[0]
    wrong = [Message(role="user", content="hi"),
             _call(gold.name, **{**gold.arguments, "status": "pending"}), _say("done")]
    info = evaluate_run(task, mock_ref, wrong, TerminationReason.USER_STOP)
    assert info.db_match is False and info.reward == 0.0


def test_action_component_and_compare_args(mock_ref):
    task = mock_ref.task("impossible_task_1")  # transfer with compare_args=[]: any summary matches
    assert task.evaluation_criteria.reward_basis == [RewardType.DB, RewardType.ACTION]
    ok = [Message(role="user", content="delete all"), _call("transfer_to_human_agents", summary="whatever"), _say("transferred")]
    info = evaluate_run(task, mock_ref, ok, TerminationReason.AGENT_STOP)
    assert info.reward == 1.0 and info.action_checks[0].met
    not_ok = [Message(role="user", content="delete all"), _say("I cannot.")]
    assert evaluate_run(task, mock_ref, not_ok, TerminationReason.AGENT_STOP).reward == 0.0


def test_communicate_is_case_insensitive_and_ignores_commas(mock_ref):
    task = mock_ref.task("update_task_with_initialization_data")
    info_strings = task.evaluation_criteria.communicate_info
    text = " ".join(s.upper().replace(" ", ", ", 1) for s in info_strings)  # upper case, with a comma
    messages = gold_conversation(task)[:-2] + [_say(text)]
    info = evaluate_run(task, mock_ref, messages, TerminationReason.USER_STOP)
    assert all(c.met for c in info.communicate_checks) and info.reward == 1.0
    info = evaluate_run(task, mock_ref, gold_conversation(task)[:-2] + [_say("done")], TerminationReason.USER_STOP)
    assert info.reward_breakdown[RewardType.COMMUNICATE] == 0.0


def test_env_assertion_with_user_tool_calls(mock_ref):
    task = mock_ref.task("update_task_with_user_tools")
    messages = [
        Message(role="user", tool_calls=[ToolCall(name="check_notifications", arguments={}, requestor="user")]),
        Message(role="tool", id="x", content="[]", requestor="user"),
        Message(role="user", content="please mark task_1 completed"),
        _call("update_task_status", task_id="task_1", status="completed"),
        _say("Done, task_1 is completed."),
        Message(role="user", tool_calls=[ToolCall(name="dismiss_notification", arguments={"notification_id": "notif_1"}, requestor="user")]),
    ]
    info = start_evaluation(task, mock_ref, messages, TerminationReason.USER_STOP, skip_nl=True).info
    assert all(c.met for c in info.env_assertion_checks) and all(c.met for c in info.action_checks)
    # DB compares the user's DB too, and the gold actions (agent-only) leave the notification
    # unread: as in τ²-bench, this mock task's DB component cannot be met by reading it.
    assert info.db_match is False and info.reward == 0.0
    info = start_evaluation(task, mock_ref, messages[2:5], TerminationReason.USER_STOP, skip_nl=True).info
    assert info.db_match is True and not info.env_assertion_checks[0].met  # never read: assertion fails


def test_message_history_is_not_replayed_twice(mock_ref):
    task = mock_ref.task("update_task_with_message_history")
    history = list(task.initial_state.message_history)
    messages = history + [Message(role="user", content="mark it completed"),
                          _call("update_task_status", task_id="task_2", status="completed"), _say("done")]
    info = start_evaluation(task, mock_ref, messages, TerminationReason.USER_STOP, skip_nl=True).info
    assert info.db_match is True


def test_do_nothing_scores_zero_on_write_tasks(mock_ref):
    for task in mock_ref.tasks:
        info = start_evaluation(task, mock_ref, do_nothing_conversation(), TerminationReason.USER_STOP, skip_nl=True).info
        if any(mock_ref.spec.agent_toolkit(mock_ref.db.copy()).tool_kind(a.name).value == "write" for a in task.gold_actions):
            assert info.reward == 0.0, task.id


def test_task_without_criteria_scores_one(mock_ref):
    task = mock_ref.task("update_task_1").model_copy(update={"evaluation_criteria": None})
    assert evaluate_run(task, mock_ref, [_say("hi")], TerminationReason.USER_STOP).reward == 1.0


# -- τ²-bench's rules where we used to differ (each failed on the old code) -----------------------
def _with_criteria(task, **changes):
    return task.model_copy(update={"evaluation_criteria": task.evaluation_criteria.model_copy(update=changes)})


def test_action_ignores_the_requestor_and_compares_on_the_calls_keys(mock_ref):
    task = _with_criteria(mock_ref.task("update_task_1"), reward_basis=[RewardType.ACTION])
    gold = task.gold_actions[0]
    by_user = Message(role="user", tool_calls=[ToolCall(name=gold.name, arguments=dict(gold.arguments), requestor="user")])
    assert evaluate_run(task, mock_ref, [by_user, _say("done")], TerminationReason.USER_STOP).reward == 1.0
    extra = _call(gold.name, **gold.arguments, note="x")  # an argument the gold action lacks: no match
    assert evaluate_run(task, mock_ref, [extra, _say("done")], TerminationReason.USER_STOP).reward == 0.0
    fewer = _call(gold.name, **dict(list(gold.arguments.items())[:1]))  # a gold argument left out: ignored
    assert evaluate_run(task, mock_ref, [fewer, _say("done")], TerminationReason.USER_STOP).reward == 1.0


def test_db_scores_one_without_comparing_when_nothing_is_expected(mock_ref):
    task = _with_criteria(mock_ref.task("update_task_1"), actions=None, env_assertions=None,
                          reward_basis=[RewardType.DB])
    wrong = [_call("create_task", user_id="user_1", title="not asked for"), _say("done")]  # changes the DB
    info = evaluate_run(task, mock_ref, wrong, TerminationReason.USER_STOP)
    assert info.reward == 1.0 and info.db_match is True


def test_whitespace_only_text_is_not_searched_for_communicate_info(mock_ref):
    task = _with_criteria(mock_ref.task("update_task_1"), communicate_info=[" "],
                          reward_basis=[RewardType.COMMUNICATE])
    assert evaluate_run(task, mock_ref, [_say("   ")], TerminationReason.USER_STOP).reward == 0.0
    assert evaluate_run(task, mock_ref, [_say("a b")], TerminationReason.USER_STOP).reward == 1.0
