"""Smoke test of bench/learning_curve.py: the whole experiment at test size (both arms, real TRL steps)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "learning_curve.py"


def _bench():
    spec = importlib.util.spec_from_file_location("learning_curve", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_intervals_and_pass1():
    lc = _bench()
    successes = {"a": [1, 1], "b": [0, 0], "c": [1, 0], "d": [1, 1]}
    assert lc.pass_hat_1(successes) == pytest.approx(0.625)
    low, high = lc.bootstrap_interval(successes, 500, seed=0)
    assert 0 <= low < 0.625 < high <= 1
    assert lc.bootstrap_interval({"a": [1, 1], "b": [1]}, 100, seed=0) == (1.0, 1.0)

    from agentcl.report.metrics import intervals_apart

    assert intervals_apart([0.1, 0.3], [0.35, 0.6]) and not intervals_apart([0.1, 0.4], [0.35, 0.6])


def test_training_flags_reach_the_run_config(tmp_path):
    lc = _bench()
    args = lc.parse_args(["--smoke", "--lora-r", "1", "--lora-modules-to-save", "norm",
                          "--set", "top_entropy_quantile=0.5", "--set", "scale_rewards=batch"])
    config = lc.run_config(args, "tiny", tmp_path, seed=3)
    assert config.model.lora_r == 1 and config.model.lora_modules_to_save == ["norm"]
    assert config.training.top_entropy_quantile == 0.5 and config.training.scale_rewards == "batch"
    assert config.training.seed == 3
    with pytest.raises(SystemExit):  # a misspelt flag is refused, not ignored
        lc.run_config(lc.parse_args(["--smoke", "--set", "top_entropy_quantil=0.5"]), "tiny", tmp_path, seed=0)


@pytest.mark.slow
def test_smoke_run_writes_both_arms(tmp_path, capsys):
    lc = _bench()
    assert lc.main(["--smoke", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "learning_curve.json").read_text())
    (result,) = summary["results"]
    assert set(result["arms"]) == {"grpo", "control"}
    assert not set(result["tasks"]["test"]) & set(result["tasks"]["train"] + result["tasks"]["warmstart"])
    for arm in result["arms"].values():
        assert len(arm["train_curve"]) == 1  # one GRPO step, its real rewards recorded
        step = arm["train_curve"][0]
        assert 0 <= step["reward_mean"] <= 1 and 0 <= step["frac_groups_zero_std"] <= 1
        assert arm["after"]["conversations"] == 1 and len(arm["after"]["ci95"]) == 2
    printed = capsys.readouterr().out
    assert "held-out pass^1" in printed and "control" in printed
    assert "plot-learning-reward-curve" in (tmp_path / "learning_curve.html").read_text()


def test_learning_story_rows_and_html(tmp_path):
    from agentcl.demo.learning_story import learning_rows, write_learning_report

    curve = [{"step": i + 1, "reward_mean": r, "frac_groups_zero_std": z}
             for i, (r, z) in enumerate([(0.2, 1.0), (0.3, 0.0), (0.5, 0.0), (0.7, 0.0)])]
    arm = lambda p, lo, hi: {"after": {"pass1": p, "ci95": [lo, hi]}, "gain": p - 0.3,  # noqa: E731
                             "train_curve": curve}
    summary = {"results": [{"seed": 0, "before": {"pass1": 0.3, "ci95": [0.2, 0.4]},
                            "arms": {"grpo": arm(0.6, 0.5, 0.7), "control": arm(0.32, 0.22, 0.42)}}]}
    lines = learning_rows(summary)
    _, _, grpo, control = lines  # explanation, header, one row per arm
    assert "+0.30" in grpo and "yes" in grpo and "0.20 -> 0.70" in grpo and "0.25" in grpo
    assert "+0.02" in control and " no " in control
    html = write_learning_report(summary, tmp_path / "report.html").read_text()
    assert "plot-learning-reward-curve" in html and "data:image/png" in html and "0.60 [0.50, 0.70]" in html
