"""Metric edge cases through the whole report path (metrics.json, report.html, the strategy comparison):
a stage evaluated with fewer trials than k, a stage never trained (a run stopped mid-curriculum),
a one-stage curriculum. Every output is defined: null where a metric has no term, never NaN.

Runs are real conversations on the mock domain scored by the real evaluator (test_report_fixtures).
"""

from __future__ import annotations

import json
import math

import pytest

from agentcl.report import ResultsStore, build_report, write_curriculum
from agentcl.report.comparison import compare_strategies, format_comparison, write_comparison
from agentcl.report.metrics import compute_metrics

from test_report_fixtures import CURRICULUM_OUTCOMES, STAGES, curriculum_runs


def write_run(run_dir, runs, stages):
    run_dir.mkdir(parents=True)
    write_curriculum(run_dir, stages)
    ResultsStore(run_dir).add(runs)
    return build_report(run_dir)


def no_nan(value) -> bool:
    if isinstance(value, float):
        return not math.isnan(value)
    if isinstance(value, dict):
        return all(no_nan(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nan(v) for v in value)
    return True


def test_a_stage_with_fewer_trials_than_k_has_no_pass_k_beyond_its_trials(tmp_path):
    outcomes = dict(CURRICULUM_OUTCOMES)
    outcomes[(2, "mock_status")] = [[True], [False], [True]]  # one trial per task here, two elsewhere
    report = write_run(tmp_path / "run", curriculum_runs(outcomes), STAGES)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    cells = {(ev["phase"], ev["stage"]): ev for ev in metrics["evaluations"]}
    assert cells[("after_stage_2", "mock_status")]["pass_k"] == pytest.approx({"1": 2 / 3})
    assert cells[("after_stage_2", "mock_create")]["pass_k"] == pytest.approx({"1": 0.5, "2": 1 / 3})
    assert metrics["accuracy_matrix"]["values"][2][1] == pytest.approx(2 / 3)
    assert metrics["continual"]["average_final_performance"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert no_nan(metrics)
    assert "pass^2" in report.read_text()  # the column exists; the short cell is shown as missing


def test_a_stage_never_trained_leaves_its_row_empty_and_metrics_null(tmp_path):
    outcomes = {key: value for key, value in CURRICULUM_OUTCOMES.items() if key[0] < 2}  # stopped after stage 1
    write_run(tmp_path / "run", curriculum_runs(outcomes), STAGES)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["accuracy_matrix"]["values"][2] == [None, None]
    cont = metrics["continual"]
    assert cont["average_final_performance"] is None and cont["backward_transfer"] is None
    assert cont["average_forgetting"] is None and cont["forgetting_per_stage"] == {"mock_create": None}
    assert cont["forward_transfer"] == pytest.approx(1 / 6 - 0.0)  # R[1][2] - R[0][2] exists
    assert no_nan(metrics)
    comparison = compare_strategies({"naive": [tmp_path / "run"]}, resamples=50)
    m = comparison["strategies"]["naive"]["metrics"]
    assert m["backward_transfer"] == {"value": None, "low": None, "high": None}
    assert m["forward_transfer"]["value"] == pytest.approx(1 / 6)


def test_a_one_stage_curriculum_has_no_transfer_or_forgetting(tmp_path):
    runs = [r for r in curriculum_runs(CURRICULUM_OUTCOMES) if r.stage == "mock_create" and r.phase != "after_stage_2"]
    report = write_run(tmp_path / "run", runs, ["mock_create"])
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    cont = metrics["continual"]
    assert cont["average_final_performance"] == pytest.approx(4 / 6)
    assert cont["backward_transfer"] is None and cont["forward_transfer"] is None
    assert cont["average_forgetting"] is None and cont["forgetting_per_stage"] == {}
    assert metrics["replay"] == {}
    assert report.is_file() and no_nan(metrics)
    assert compute_metrics(runs, ["mock_create"])["continual"] == cont
    text = format_comparison(compare_strategies({"naive": [tmp_path / "run"]}, resamples=20))
    assert "+0.667" in text and "-" in text


def test_strategy_comparison_table_and_page(tmp_path):
    """Two 'strategies' with known matrices: the point values are the hand-computed metrics and each
    lies inside its bootstrap interval."""
    write_run(tmp_path / "a", curriculum_runs(CURRICULUM_OUTCOMES), STAGES)
    better = dict(CURRICULUM_OUTCOMES)
    better[(2, "mock_create")] = [[True, True], [True, True], [True, False]]  # ends above its row-1 score: 5/6
    write_run(tmp_path / "b", curriculum_runs(better), STAGES)
    comparison = compare_strategies({"naive": [tmp_path / "a"], "replay": [tmp_path / "b"]}, resamples=200)
    naive, replay = (comparison["strategies"][k]["metrics"] for k in ("naive", "replay"))
    assert naive["backward_transfer"]["value"] == pytest.approx(3 / 6 - 4 / 6)
    assert naive["average_forgetting"]["value"] == pytest.approx(4 / 6 - 3 / 6)
    assert replay["backward_transfer"]["value"] == pytest.approx(5 / 6 - 4 / 6)
    assert replay["average_forgetting"]["value"] == pytest.approx(4 / 6 - 5 / 6)  # rows 1..T-1 only: negative
    for arm in (naive, replay):
        for m in arm.values():
            assert m["low"] <= m["value"] + 1e-12 and m["value"] <= m["high"] + 1e-12
    text = format_comparison(comparison)
    assert text.splitlines()[0].split()[:3] == ["strategy", "final", "perf"]
    assert "accuracy matrix R[i][j] (pass^1), replay" in text
    _, html = write_comparison(comparison, tmp_path / "cmp")
    page = html.read_text()
    assert "matrix-naive" in page and "matrix-replay" in page and "average forgetting" in page
