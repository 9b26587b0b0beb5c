"""Partial credit on hand-made conversations: all of the task done, part of it, none of it."""

from __future__ import annotations

import pytest

from agentcl.data_model import Message, Task, TerminationReason, ToolCall
from agentcl.registry import load_domain
from agentcl.rewards.evaluator import evaluate_run
from agentcl.rewards.partial_credit import (
    PartialCreditWeights,
    make_partial_credit_reward_fn,
    partial_credit,
)
from helpers import REFERENCE_DATA


@pytest.fixture(scope="module")
def mock_ref():
    return load_domain("mock", REFERENCE_DATA)


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")  # the generated mock data: task_1 and task_2 are both pending


@pytest.fixture(scope="module")
def task(mock) -> Task:
    """Two gold updates, two env assertions on their result, two facts to communicate."""
    data = mock.task("mock_complete_1").model_dump()
    data["id"] = "partial_credit_two_updates"
    data["evaluation_criteria"] = {
        "actions": [
            {"action_id": "a1", "name": "update_task_status", "arguments": {"task_id": "task_1", "status": "completed"}},
            {"action_id": "a2", "name": "update_task_status", "arguments": {"task_id": "task_2", "status": "completed"}},
        ],
        "env_assertions": [
            {"env_type": "assistant", "func_name": "assert_task_status",
             "arguments": {"task_id": "task_1", "expected_status": "completed"}},
            {"env_type": "assistant", "func_name": "assert_task_status",
             "arguments": {"task_id": "task_2", "expected_status": "completed"}},
        ],
        "communicate_info": ["task_1", "task_2"],
        "reward_basis": ["DB", "ENV_ASSERTION", "COMMUNICATE"],
    }
    return Task.model_validate(data)


def _call(task_id, status="completed"):
    return Message(role="assistant", tool_calls=[ToolCall(name="update_task_status",
                                                          arguments={"task_id": task_id, "status": status})])


def _say(text):
    return Message(role="assistant", content=text)


def _user(text):
    return Message(role="user", content=text)


def test_full_partial_and_no_credit(mock, task):
    full = [_user("complete task_1 and task_2"), _call("task_1"), _call("task_2"), _say("Done: task_1, task_2.")]
    partial = [_user("complete task_1 and task_2"), _call("task_1"), _call("task_2", status="pending"),
               _say("task_1 is completed.")]
    none = [_user("complete task_1 and task_2"), _say("Sorry, I cannot help.")]

    pc = partial_credit(task, mock, full)
    assert pc.score == 1.0 and pc.shares == {"actions": 1.0, "communicate": 1.0, "env_assertions": 1.0}
    assert evaluate_run(task, mock, full, TerminationReason.USER_STOP).reward == 1.0  # agrees with τ²

    pc = partial_credit(task, mock, partial)  # one of two actions (task_2 has the wrong argument)
    assert pc.shares == {"actions": 0.5, "communicate": 0.5, "env_assertions": 0.5} and pc.score == 0.5
    assert evaluate_run(task, mock, partial, TerminationReason.USER_STOP).reward == 0.0  # binary: nothing

    pc = partial_credit(task, mock, none)
    assert pc.score == 0.0 and pc.shares == {"actions": 0.0, "communicate": 0.0, "env_assertions": 0.0}


def test_weights_choose_the_parts(mock, task):
    messages = [_call("task_1"), _call("task_2"), _say("All set.")]  # actions done, nothing communicated
    assert partial_credit(task, mock, messages).score == pytest.approx(2 / 3)
    only_actions = PartialCreditWeights(actions=1.0, env_assertions=0.0, communicate=0.0)
    assert partial_credit(task, mock, messages, weights=only_actions).score == 1.0
    only_talk = PartialCreditWeights.from_list([0, 0, 2])
    assert partial_credit(task, mock, messages, weights=only_talk).score == 0.0
    skewed = PartialCreditWeights(actions=3.0, env_assertions=0.0, communicate=1.0)
    assert partial_credit(task, mock, messages, weights=skewed).score == pytest.approx(0.75)


def test_parts_a_task_lacks_are_left_out(mock_ref):
    task = mock_ref.task("update_task_1")  # one action, no env assertions, no communicate_info
    assert partial_credit(task, mock_ref, [_call("task_1")]).shares == {"actions": 1.0}
    assert partial_credit(task, mock_ref, [_call("task_1")]).score == 1.0


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match=">= 0"):
        PartialCreditWeights(actions=-1)
    with pytest.raises(ValueError, match="at least one positive"):
        PartialCreditWeights(0, 0, 0)
    with pytest.raises(ValueError, match="expected 3 numbers"):
        PartialCreditWeights.from_list([1, 2])
    with pytest.raises(ValueError, match="must be numbers"):
        PartialCreditWeights.from_list(["1", "x", "1"])
    assert PartialCreditWeights.from_list(["1", "0", "2.5"]) == PartialCreditWeights(1.0, 0.0, 2.5)


def test_reward_function_reads_the_conversation_column(mock, task):
    class Conv:  # the attributes the rollout engine's Conversation has
        def __init__(self, messages):
            self.task, self.domain, self.messages, self.environment = task, mock, messages, None

    fn = make_partial_credit_reward_fn()
    assert fn.__name__ == "partial_credit"
    scores = fn(prompts=["p"] * 2, completions=["c"] * 2,
                conversation=[Conv([_call("task_1"), _say("task_1 done")]), Conv([_say("no")])])
    assert scores == [0.5, 0.0]
    with pytest.raises(ValueError, match="conversation"):
        fn(prompts=["p"], completions=["c"])
