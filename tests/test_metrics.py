"""Metric formulas on hand-made matrices and trials, then on labelled mock-domain runs."""

from __future__ import annotations

import math

import pytest

from agentcl.report.metrics import (
    AccuracyMatrix,
    Usage,
    average_final_performance,
    average_forgetting,
    backward_transfer,
    compute_metrics,
    eval_phase,
    forgetting_per_stage,
    forward_transfer,
    is_success,
    label_run,
    make_run_id,
    pass_hat_k,
    pass_k_curve,
    phase_row,
    run_phase,
    run_stage,
    summarize_runs,
)
from agentcl.data_model import RewardInfo, SimulationRun, TerminationReason
from test_report_fixtures import CURRICULUM_OUTCOMES, EXPECTED_MATRIX, STAGES, TRAINING_STEPS, curriculum_runs, make_run

# rows: zero-shot, after stage 1, 2, 3; columns: stages 1, 2, 3
R = [
    [0.1, 0.2, 0.0],
    [0.8, 0.3, 0.1],
    [0.6, 0.9, 0.4],
    [0.5, 0.7, 1.0],
]


def test_continual_formulas_on_a_hand_made_matrix():
    assert average_final_performance(R) == pytest.approx((0.5 + 0.7 + 1.0) / 3)
    # BWT: (R[3][1] - R[1][1] + R[3][2] - R[2][2]) / 2
    assert backward_transfer(R) == pytest.approx(((0.5 - 0.8) + (0.7 - 0.9)) / 2)
    # FWT: (R[1][2] - R[0][2] + R[2][3] - R[0][3]) / 2
    assert forward_transfer(R) == pytest.approx(((0.3 - 0.2) + (0.4 - 0.0)) / 2)
    # forgetting of stage 1: max(0.8, 0.6) - 0.5; of stage 2: max(0.3, 0.9) - 0.7
    assert forgetting_per_stage(R) == pytest.approx([0.3, 0.2])
    assert average_forgetting(R) == pytest.approx(0.25)


def test_forgetting_uses_every_training_row_not_zero_shot():
    # stage 1 peaked at 0.9 in the zero-shot row only: that is not forgetting caused by training
    matrix = [[0.9, 0.0], [0.4, 0.2], [0.3, 0.8]]
    assert forgetting_per_stage(matrix) == pytest.approx([0.1])


def test_single_stage_has_no_transfer_or_forgetting():
    matrix = [[0.2], [0.7]]
    assert average_final_performance(matrix) == pytest.approx(0.7)
    assert backward_transfer(matrix) is None
    assert forward_transfer(matrix) is None
    assert forgetting_per_stage(matrix) == []
    assert average_forgetting(matrix) is None


def test_missing_cells_are_skipped_and_all_missing_gives_none():
    matrix = [[None, None], [0.6, None], [0.5, 0.9]]
    assert backward_transfer(matrix) == pytest.approx(-0.1)
    assert forward_transfer(matrix) is None  # needs R[1][2] and R[0][2]
    assert average_final_performance([[None], [None]]) is None


def test_bad_matrix_shapes_are_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="zero-shot row"):
        backward_transfer([[0.1, 0.2]])
    with pytest.raises(ValueError, match="row 1 has 1 columns; expected 2"):
        forward_transfer([[0.1, 0.2], [0.3], [0.4, 0.5]])


def test_accuracy_matrix_labels_and_continual_metrics():
    matrix = AccuracyMatrix(["a", "b", "c"], R)
    assert matrix.row_labels == ["zero_shot", "after_stage_1", "after_stage_2", "after_stage_3"]
    metrics = matrix.continual_metrics()
    assert metrics["forgetting_per_stage"] == pytest.approx({"a": 0.3, "b": 0.2})
    assert metrics["backward_transfer"] == pytest.approx(-0.25)


# --- pass^k --------------------------------------------------------------------------------

def test_pass_hat_k_single_task():
    assert pass_hat_k(4, 2, 1) == pytest.approx(0.5)
    assert pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)  # C(2,2)/C(4,2)
    assert pass_hat_k(4, 2, 3) == 0.0
    assert pass_hat_k(4, 4, 4) == 1.0  # all successes
    assert pass_hat_k(4, 0, 1) == 0.0  # none
    assert pass_hat_k(2, 2, 3) is None  # fewer trials than k: undefined
    with pytest.raises(ValueError):
        pass_hat_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_hat_k(3, 1, 0)


def test_pass_k_curve_over_tasks_with_uneven_trials():
    tasks = [(4, 2), (4, 4), (4, 0), (2, 1)]
    curve = pass_k_curve(tasks)
    assert sorted(curve) == [1, 2, 3, 4]
    assert curve[1] == pytest.approx((0.5 + 1 + 0 + 0.5) / 4)
    assert curve[2] == pytest.approx((1 / 6 + 1 + 0 + 0) / 4)
    assert curve[3] == pytest.approx(1 / 3)  # the 2-trial task is left out for k > 2
    assert curve[4] == pytest.approx(1 / 3)
    assert pass_k_curve([]) == {}
    assert pass_k_curve([(1, 1)], max_k=3) == {1: 1.0}  # k beyond every task's trials: absent


def _scored(task_id, reward, trial, termination=TerminationReason.USER_STOP):
    return SimulationRun(
        id=f"r{task_id}{trial}", task_id=task_id, domain="mock", trial=trial,
        termination_reason=termination, reward_info=None if reward is None else RewardInfo(reward=reward),
    )


def test_float_rewards_success_threshold():
    assert is_success(1.0) and is_success(1 - 1e-7) and is_success(1.0000001)
    assert not is_success(0.99) and not is_success(1 - 1e-5)
    runs = [_scored("a", 0.9999999, 0), _scored("a", 0.3 * (1 / 0.3), 1), _scored("a", 0.99, 2)]
    summary = summarize_runs(runs)
    assert summary.tasks[0].successes == 2
    assert summary.pass_k[1] == pytest.approx(2 / 3)
    assert summary.pass_k[3] == 0.0


def test_summarize_runs_counts_terminations_unscored_runs_and_usage():
    runs = [
        _scored("a", 1.0, 0), _scored("a", 1.0, 1),
        _scored("b", 0.0, 0, TerminationReason.MAX_STEPS), _scored("b", None, 1, TerminationReason.AGENT_ERROR),
    ]
    runs[0].extra["usage"] = {"user": {"prompt_tokens": 10, "completion_tokens": 2, "cost_usd": 0.5},
                              "judge": {"prompt_tokens": 5, "completion_tokens": 1, "cost": 0.25}}
    runs[1].extra["usage"] = {"prompt_tokens": 7, "completion_tokens": 3, "cost_usd": 0.125}
    summary = summarize_runs(runs)
    assert summary.runs == 4 and summary.unscored_runs == 1
    assert summary.average_reward == pytest.approx(0.5)
    assert summary.pass_k == pytest.approx({1: 0.5, 2: 0.5})
    assert summary.termination_counts == {"agent_error": 1, "max_steps": 1, "user_stop": 2}
    assert summary.usage == Usage(prompt_tokens=22, completion_tokens=6, cost_usd=0.875)
    by_task = {t.task_id: t for t in summary.tasks}
    assert (by_task["a"].trials, by_task["a"].successes, by_task["b"].successes) == (2, 2, 0)
    assert by_task["b"].terminations == {"max_steps": 1, "agent_error": 1}


# --- labels --------------------------------------------------------------------------------

def test_phase_names_and_run_ids():
    assert [eval_phase(i) for i in range(3)] == ["zero_shot", "after_stage_1", "after_stage_2"]
    assert [phase_row(p) for p in ("zero_shot", "after_stage_2", "train", "after_stage_0")] == [0, 2, None, None]
    assert make_run_id("after_stage_1", "retail", "retail", "17", 3) == "after_stage_1/retail/retail/17/trial3"
    with pytest.raises(ValueError, match="without '/'"):
        make_run_id("zero_shot", "a/b", "mock", "t", 0)
    run = label_run(_scored("t1", 1.0, 2), phase="zero_shot", stage="s1")
    assert run.id == "zero_shot/s1/mock/t1/trial2"
    assert (run_phase(run), run_stage(run)) == ("zero_shot", "s1")
    unlabeled = _scored("t1", 1.0, 0)
    with pytest.raises(ValueError, match="label_run"):
        run_phase(unlabeled)


# --- the whole metrics.json on mock-domain conversations -----------------------------------

def test_compute_metrics_on_a_two_stage_mock_curriculum():
    runs = curriculum_runs(CURRICULUM_OUTCOMES)
    metrics = compute_metrics(runs, STAGES, TRAINING_STEPS)
    values = metrics["accuracy_matrix"]["values"]
    for row, expected in zip(values, EXPECTED_MATRIX):
        assert row == pytest.approx(expected)
    cont = metrics["continual"]
    assert cont["average_final_performance"] == pytest.approx((3 / 6 + 1.0) / 2)
    assert cont["backward_transfer"] == pytest.approx(3 / 6 - 4 / 6)
    assert cont["forward_transfer"] == pytest.approx(1 / 6 - 0.0)
    assert cont["forgetting_per_stage"] == pytest.approx({"mock_create": 4 / 6 - 3 / 6})
    # rewards of these tasks are 0/1, so the reward matrix equals the accuracy matrix
    assert metrics["reward_matrix"]["values"][2] == pytest.approx(EXPECTED_MATRIX[2])

    evaluations = {(ev["phase"], ev["stage"]): ev for ev in metrics["evaluations"]}
    final_create = evaluations[("after_stage_2", "mock_create")]
    assert final_create["runs"] == 6 and final_create["tasks"] == 3
    assert final_create["pass_k"] == pytest.approx({"1": 0.5, "2": 1 / 3})
    assert {t["task_id"]: t["successes"] for t in final_create["per_task"]} == {
        "mock_create_0": 2, "mock_create_5": 1, "mock_create_10": 0}
    assert metrics["termination_counts_by_phase"]["zero_shot"] == {"user_stop": 12}

    usage = metrics["usage"]["by_stage"]["mock_create"]
    assert usage["training"]["cost_usd"] == pytest.approx(20 * 0.01)
    assert usage["evaluation"]["prompt_tokens"] == 18 * 100  # 3 phases x 3 tasks x 2 trials
    assert metrics["usage"]["total"]["cost_usd"] == pytest.approx(40 * 0.01 + 36 * 0.001)
    assert metrics["training"]["mock_status"]["steps"] == 20
    assert metrics["totals"] == {"runs": 36, "unscored_runs": 0, "training_steps": 40}
    assert not any(isinstance(v, float) and math.isnan(v) for row in values for v in row)


def test_failed_mock_conversation_scores_zero_through_the_real_evaluator():
    good, bad = make_run("mock_complete_1", succeed=True), make_run("mock_complete_1", succeed=False)
    assert good.reward_info.reward == 1.0 and good.reward_info.db_match
    assert bad.reward_info.reward == 0.0
    tool_results = [m for m in bad.messages if m.role == "tool"]
    assert tool_results and tool_results[0].error  # the wrong task id is refused by the tool


def _labelled(phase, stage, task_id, reward, trial):
    return label_run(_scored(task_id, reward, trial), phase=phase, stage=stage)


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    from agentcl.report.metrics import bootstrap_interval, intervals_apart

    rates = [0.0, 0.25, 0.5, 1.0, 1.0, 0.75]
    low, high = bootstrap_interval(rates, resamples=500, seed=3)
    assert 0.0 <= low < sum(rates) / len(rates) < high <= 1.0
    assert bootstrap_interval(rates, resamples=500, seed=3) == (low, high)
    assert bootstrap_interval([1.0, 1.0, 1.0]) == (1.0, 1.0)  # no spread, no width
    assert bootstrap_interval([]) is None
    assert intervals_apart((0.1, 0.3), (0.35, 0.6)) and not intervals_apart((0.1, 0.4), (0.35, 0.6))
    assert not intervals_apart(None, (0.1, 0.2))


def test_learning_by_stage_compares_zero_shot_with_after_own_stage():
    runs = []
    for t in range(8):  # stage "a": 8 tasks, 2 trials: 0/2 before, 2/2 after -> separate
        runs += [_labelled("zero_shot", "a", f"a{t}", 0.0, k) for k in range(2)]
        runs += [_labelled("after_stage_1", "a", f"a{t}", 1.0, k) for k in range(2)]
    for t in range(4):  # stage "b": same pass^1 before and after -> gain 0, intervals overlap
        runs += [_labelled("zero_shot", "b", f"b{t}", float(t % 2), 0), _labelled("after_stage_2", "b", f"b{t}", float(t % 2), 0)]
    runs.append(_labelled("zero_shot", "c", "c0", 1.0, 0))  # stage "c" never trained: no row
    metrics = compute_metrics(runs, ["a", "b", "c"])
    rows = {r["stage"]: r for r in metrics["learning"]}
    assert set(rows) == {"a", "b"}
    a, b = rows["a"], rows["b"]
    assert (a["before"], a["after"], a["gain"], a["separate"], a["tasks"]) == (0.0, 1.0, 1.0, True, 8)
    assert a["before_ci95"] == (0.0, 0.0) and a["after_ci95"] == (1.0, 1.0)
    assert b["gain"] == 0.0 and not b["separate"] and b["before_ci95"][0] < 0.5 < b["before_ci95"][1]
    cell = next(ev for ev in metrics["evaluations"] if ev["phase"] == "after_stage_1" and ev["stage"] == "a")
    assert cell["pass1_ci95"] == [1.0, 1.0]
