"""Policy evaluation: tasks x trials through the rollout engine, fixed seeds per trial, scored and labelled."""

from __future__ import annotations

import pytest

from agentcl.curriculum.evaluate import EvalSettings, EvalTarget, PolicyEvaluator, expected_run_ids
from agentcl.data_model import Message
from agentcl.registry import load_domain
from agentcl.rollout import GenerationParams, RolloutLimits
from agentcl.users.base import UserConversation, UserSimulator, UserTurn
from agentcl.users.scripted import ScriptedUserSimulator

from rollout_fixtures import tiny_agent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, tokenizer = tiny_agent(tmp_path_factory)
    tokenizer.padding_side = "left"
    return model, tokenizer


@pytest.fixture(scope="module")
def mock_targets():
    data = load_domain("mock")
    return [EvalTarget("mock", data, data.tasks_for_split("test")[:3])]


def settings(trials=2, seed=7):
    return EvalSettings(trials=trials, seed=seed, generation=GenerationParams(max_new_tokens=12),
                        limits=RolloutLimits(max_steps=6, max_total_tokens=2048))


def evaluate(tiny, targets, user=None, **kwargs):
    model, tokenizer = tiny
    with PolicyEvaluator(tokenizer, user or ScriptedUserSimulator(), settings=kwargs.pop("settings", settings()),
                         progress=False) as evaluator:
        return evaluator.evaluate(model, targets, **kwargs)


def test_every_task_and_trial_is_run_once_scored_and_labelled(tiny, mock_targets):
    stored = []
    runs = evaluate(tiny, mock_targets, phase="after_stage_1", on_runs=stored.extend,
                    policy={"model": "tiny", "adapter": "adapters/mock"})
    wanted = expected_run_ids(mock_targets, "after_stage_1", trials=2)
    assert [r.id for r in runs] == wanted == [r.id for r in stored]
    assert len(set(wanted)) == 6 and wanted[0] == f"after_stage_1/mock/mock/{mock_targets[0].tasks[0].id}/trial0"
    for run in runs:
        assert run.phase == "after_stage_1" and run.stage == "mock"
        assert run.seed == 7 + run.trial
        assert run.reward_info is not None and 0.0 <= run.reward_info.reward <= 1.0
        assert run.messages and run.messages[0].role == "user"  # the scripted customer opens
        assert run.extra["policy"] == {"model": "tiny", "adapter": "adapters/mock"}
        assert run.extra["model_tokens"] > 0


def test_a_trial_samples_the_same_way_every_time_it_is_run(tiny, mock_targets):
    first = evaluate(tiny, mock_targets, phase="zero_shot")
    again = evaluate(tiny, mock_targets, phase="zero_shot")
    assert [r.messages for r in first] == [r.messages for r in again]
    # different seeds give different samples (the policy samples at temperature 1)
    other = evaluate(tiny, mock_targets, phase="zero_shot", settings=settings(seed=1234))
    assert [r.messages for r in other] != [r.messages for r in first]


def test_finished_conversations_are_skipped_on_resume(tiny, mock_targets):
    done = set(expected_run_ids(mock_targets, "zero_shot", trials=2)[:4])
    runs = evaluate(tiny, mock_targets, phase="zero_shot", done_ids=done)
    assert {r.id for r in runs} == set(expected_run_ids(mock_targets, "zero_shot", trials=2)) - done
    assert evaluate(tiny, mock_targets, phase="zero_shot",
                    done_ids=expected_run_ids(mock_targets, "zero_shot", trials=2)) == []


class MeteredUser(UserSimulator):
    """Stops at once and reports API usage, like a paid simulator would."""

    async def respond(self, conversation: UserConversation) -> UserTurn:
        turn = sum(1 for m in conversation.history if m.role == "user")
        if turn == 0:
            return UserTurn(Message(role="user", content="Hi, I need help."), usage={"prompt_tokens": 10,
                                                                                     "completion_tokens": 3})
        return UserTurn(Message(role="user", content="Bye ###STOP###"), usage={"prompt_tokens": 20,
                                                                                "completion_tokens": 2, "cost_usd": 0.5})


def test_user_simulator_usage_is_kept_per_conversation(tiny, mock_targets):
    runs = evaluate(tiny, mock_targets, MeteredUser(), phase="zero_shot", settings=settings(trials=1))
    for run in runs:
        assert run.extra["usage"] == {"user": {"prompt_tokens": 30, "completion_tokens": 5, "cost_usd": 0.5}}
    from agentcl.report.metrics import compute_metrics

    metrics = compute_metrics(runs, ["mock"])
    assert metrics["usage"]["total"]["prompt_tokens"] == 30 * len(runs)


def test_evaluation_scores_with_the_judge_runtime(tiny, mock_targets):
    from agentcl.rewards.judge.config import JudgeConfig
    from agentcl.rewards.judge.runtime import JudgeRuntime

    model, tokenizer = tiny
    with JudgeRuntime(JudgeConfig()) as judge, PolicyEvaluator(
            tokenizer, ScriptedUserSimulator(), settings=settings(trials=1), judge_runtime=judge,
            progress=False) as evaluator:
        runs = evaluator.evaluate(model, mock_targets, phase="zero_shot")
    assert len(runs) == 3 and all(r.reward_info is not None for r in runs)
