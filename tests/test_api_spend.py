"""API spend (issue 15), the parts that need no run: where metrics.json puts training spend, the
budget's rule, the estimate's arithmetic, price flags. The real runs are in test_training_e2e.py
(budget stop and resume, usage on every conversation) and test_training_multiprocess.py (two
processes, sums checked against the relay's own count)."""

from __future__ import annotations

import pytest

from agentcl.curriculum.estimate import StageCounts, estimate_from
from agentcl.llm.budget import BUDGET_EXIT_CODE, ApiBudget, BudgetExhausted
from agentcl.llm.usage import PriceError, add_usage, cost_usd, parse_price_per_mtok
from agentcl.report.metrics import Usage, compute_metrics, label_run
from test_report_fixtures import make_run


def _run(phase: str, trial: int, tokens: int, judge_tokens: int = 0):
    usage = {"user": {"calls": 2, "prompt_tokens": tokens, "completion_tokens": 10, "cost_usd": 0.01}}
    if judge_tokens:
        usage["judge"] = {"calls": 1, "prompt_tokens": judge_tokens, "completion_tokens": 5, "cost_usd": 0.0}
    return label_run(make_run("mock_create_0", succeed=True, trial=trial, usage=usage), phase=phase, stage="mock")


def test_training_conversations_count_as_training_spend_not_evaluation():
    """The old metrics counted training conversations' usage as evaluation, and training as 0."""
    runs = [_run("train", 0, 100, judge_tokens=30), _run("train", 1, 200), _run("zero_shot", 0, 50)]
    usage = compute_metrics(runs, ["mock"])["usage"]
    stage = usage["by_stage"]["mock"]
    assert stage["training"] == {"calls": 5, "prompt_tokens": 330, "completion_tokens": 25, "total_tokens": 355,
                                 "cost_usd": 0.02}
    assert stage["evaluation"]["prompt_tokens"] == 50 and stage["evaluation"]["calls"] == 2
    assert usage["total"]["total_tokens"] == 355 + 60
    assert usage["by_source"]["judge"]["prompt_tokens"] == 30
    assert "train" not in usage["evaluation_by_phase"] and usage["by_phase"]["train"]["calls"] == 5


def test_the_budget_is_spent_when_a_limit_is_reached():
    budget = ApiBudget(max_cost_usd=0.05, max_tokens=None)
    assert not budget.charge(Usage(prompt_tokens=10**6, cost_usd=0.049))
    assert budget.charge(Usage(cost_usd=0.001)) and budget.exhausted
    assert "of --max-api-cost-usd 0.05" in budget.stop_message("after step 3")
    tokens = ApiBudget(max_tokens=100)
    assert not tokens.charge(Usage(prompt_tokens=60, completion_tokens=39)) and tokens.charge(Usage(prompt_tokens=1))
    assert not ApiBudget().charge(Usage(prompt_tokens=10**9, cost_usd=1e6))  # no limit, never spent
    assert BudgetExhausted.exit_code == BUDGET_EXIT_CODE == 3
    with pytest.raises(ValueError, match="--max-api-tokens must be >= 0"):
        ApiBudget(max_tokens=-1)


def test_the_estimate_scales_the_sample_per_stage_with_a_range():
    counts = [StageCounts("a", training=10, evaluation=4), StageCounts("b", training=10, evaluation=0)]
    samples = {"a": [Usage(100, 10, 0.1, 2), Usage(300, 30, 0.3, 4)], "b": [Usage(50, 0, 0.0, 1)]}
    estimate = estimate_from(counts, samples)
    assert estimate.training.expected == Usage(10 * 200 + 10 * 50, 10 * 20, pytest.approx(10 * 0.2), 10 * 3 + 10 * 1)
    assert estimate.evaluation.expected.prompt_tokens == 4 * 200
    # the range: the sample's lowest / highest conversation, at least x0.5 - x2 of the mean
    assert estimate.training.low.prompt_tokens == 10 * 100 + 10 * 25
    assert estimate.training.high.prompt_tokens == 10 * 400 + 10 * 100
    assert estimate.total.expected.prompt_tokens == 2500 + 800
    assert estimate.sample_conversations == 3 and estimate.sample_spend.prompt_tokens == 450
    text = estimate.format()
    assert "training" in text and "evaluation" in text and "3580 [" in text  # total tokens: 3300 prompt + 280 completion


def test_the_count_of_training_conversations_follows_each_stage_s_own_steps():
    from types import SimpleNamespace

    from agentcl.config import parse_run_config
    from agentcl.curriculum.estimate import conversation_counts
    from agentcl.curriculum.stages import Stage

    config = parse_run_config(["--max-steps", "2", "--tasks-per-step", "2", "--num-generations", "4",
                               "--eval-trials", "3"])
    plans = [SimpleNamespace(name=name, stage=Stage(name, name, max_steps=steps), eval_tasks=[None] * n_eval)
             for name, steps, n_eval in (("mock", 30, 5), ("airline", None, 2))]
    counts = conversation_counts(config, plans)
    assert [c.training for c in counts] == [30 * 2 * 4, 2 * 2 * 4]  # mock's own 30 steps; airline: --max-steps
    assert [c.evaluation for c in counts] == [3 * 5 * 3, 3 * 2 * 3]  # zero-shot + after each of 2 stages


def test_prices_per_million_tokens():
    assert parse_price_per_mtok("0.4,1.6", "--x") == (0.4, 1.6)
    assert parse_price_per_mtok(None, "--x") is None
    assert cost_usd(1_000_000, 500_000, (0.4, 1.6)) == pytest.approx(1.2)
    for bad in ("1", "a,b", "-1,2", "1,2,3"):
        with pytest.raises(PriceError, match="--judge-price-per-mtok takes two non-negative numbers"):
            parse_price_per_mtok(bad, "--judge-price-per-mtok")
    assert add_usage({"calls": 1}, {"calls": 1, "prompt_tokens": 5, "flag": True}) == {"calls": 2, "prompt_tokens": 5}
