"""The offline demo, at test size (`--fast`): the same code path as `bash run_with_accelerate.sh demo`.

Tiny local agent, generated mock / airline / retail data, warm start on gold conversations, the
local relay serving the openai user simulator and the offline LLM judge over HTTP, TRL GRPO, and
every evaluation. The full demo is run by hand (its wall time and rewards are in the report of
the curriculum issue); this checks that the fast variant writes every output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from agentcl.demo.data import easiest_groups, gold_effort, prepare_domain, round_robin, shorten_policy
from agentcl.demo.run import demo_config
from agentcl.curriculum.stages import stages_from_config
from agentcl.demo.settings import DEMO_PRESET

from helpers import REPO_ROOT


def test_demo_config_is_the_demo_preset_with_flags_on_top():
    config = demo_config(["--max-steps", "5"])
    assert config.run.preset == "demo" and config.run.local_relay
    assert config.curriculum.domains == DEMO_PRESET["domains"]
    assert [s.name for s in stages_from_config(config)] == ["mock", "airline", "retail"]
    assert stages_from_config(config)[0].max_steps == DEMO_PRESET["domains"][0]["max_steps"]  # mock trains longer
    assert config.training.max_steps == 5  # the flag wins over the preset
    assert config.rollout.max_conversation_tokens == DEMO_PRESET["max_conversation_tokens"]
    assert config.judge.model == "judge" and config.judge.judge_coefficient > 0  # the async LLM judge is used
    assert config.users.user_type == "openai_user_simulator"


def test_run_py_preset_demo_is_the_same_run_as_the_demo_module():
    """`bash run_with_accelerate.sh demo` (run.py --preset demo) and `python -m agentcl.demo` agree."""
    from agentcl.config import parse_run_config

    assert parse_run_config(["--preset", "demo"]).to_dict() == demo_config([]).to_dict()


def test_policy_is_cut_after_its_first_sections():
    text = "# Title\nintro\n\n## One\na\n## Two\nb\n## Three\nc\n"
    assert shorten_policy(text, 1) == "# Title\nintro\n\n## One\na\n"
    assert shorten_policy(text, 5) == text


def test_demo_data_keeps_a_few_easy_kinds_in_both_splits(tmp_path):
    from agentcl.registry import load_domain

    chosen = prepare_domain("mock", tmp_path, seed=3, num_tasks=40, task_groups=2, train_tasks=3, eval_tasks=2,
                            warmstart_tasks=6, policy_sections=1)
    data = load_domain("mock", chosen.data_dir)
    assert sorted(t.id for t in data.tasks_for_split("train")) == sorted(chosen.train) and len(chosen.train) == 3
    assert sorted(t.id for t in data.tasks_for_split("test")) == sorted(chosen.test) and len(chosen.test) == 2
    assert len(chosen.warmstart) == 6
    # GRPO trains on tasks the warm start has not seen; warm-start tasks only where the pool runs short
    overlap = len(set(chosen.train) & set(chosen.warmstart))
    assert overlap == chosen.counts["train_also_warmstart"] == max(0, 3 - (chosen.counts["easy_train"] - 6))
    assert not set(chosen.test) & set(data.splits["generated_train"])  # evaluation tasks are never trained on
    assert len(chosen.groups) == 2
    kinds = {tuple(f"{a.requestor}:{a.name}" for a in data.task(i).gold_actions) for i in chosen.train + chosen.test}
    assert kinds <= set(chosen.groups)
    # the kept kinds are the easiest of those that appear in both generated splits
    from agentcl.demo.data import gold_signature, passes_without_skill

    def candidates(split):
        return [t for t in data.tasks_for_split(split) if not passes_without_skill(t, data)]

    both = {gold_signature(t) for t in candidates("generated_test")}
    pool = [t for t in candidates("generated_train") if gold_signature(t) in both]

    def effort(group):
        members = [t for t in pool if gold_signature(t) == group]
        return sum(map(gold_effort, members)) / len(members)

    others = {gold_signature(t) for t in pool} - set(chosen.groups)
    assert max(map(effort, chosen.groups)) <= min(map(effort, others), default=float("inf"))
    assert easiest_groups(pool, 2, min_size=6 // 4) == chosen.groups
    # no chosen task can be passed without skill (declining, or a one-digit answer)
    assert not any(passes_without_skill(data.task(i), data) for i in chosen.train + chosen.test)
    # prepared once: asking again returns the same selection without regenerating
    again = prepare_domain("mock", tmp_path, seed=3, num_tasks=40, task_groups=2, train_tasks=3, eval_tasks=2,
                           warmstart_tasks=6, policy_sections=1)
    assert again.train == chosen.train and again.test == chosen.test


def test_round_robin_takes_each_kind_in_turn():
    from types import SimpleNamespace

    def task(i, kind):
        return SimpleNamespace(id=f"t{i}", gold_actions=[SimpleNamespace(requestor="assistant", name=kind, arguments={},
                                                                      compare_args=None)])

    tasks = [task(0, "a"), task(1, "a"), task(2, "b"), task(3, "a"), task(4, "b")]
    picked = round_robin(tasks, [("assistant:a",), ("assistant:b",)], 4)
    assert [t.id for t in picked] == ["t0", "t2", "t1", "t4"]
    assert gold_effort(task(0, "a")) == pytest.approx(1.0 + len("{}") / 50)


@pytest.mark.slow
def test_fast_demo_writes_every_output(tmp_path):
    out = tmp_path / "demo"
    # the tiny agent comes from the project's cache folder like every other test's (built there once;
    # test_tiny_model.py checks a build from nothing)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "TRL_EXPERIMENTAL_SILENCE": "1"}
    proc = subprocess.run([sys.executable, "-m", "agentcl.demo", "--fast", "--output-dir", str(out)],
                          env=env, capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    for name in ("config.yaml", "results.json", "metrics.json", "report.html", "reward_curve.png",
                 "accuracy_matrix.png", "pass_k.png", "train_log.jsonl", "models/warmstart/warmstart.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["stages"] == ["mock", "airline", "retail"]
    assert len(metrics["accuracy_matrix"]["values"]) == 4  # zero-shot + one row per stage
    assert all(v is not None for row in metrics["accuracy_matrix"]["values"] for v in row)
    assert set(metrics["training"]) == {"mock", "airline", "retail"}
    results = json.loads((out / "results.json").read_text())
    phases = {s["phase"] for s in results["simulations"]}
    assert phases == {"before_warm_start", "zero_shot", "after_stage_1", "after_stage_2", "after_stage_3", "train"}
    # the customer spoke over HTTP through the local relay: every evaluated conversation has API usage
    evaluated = [s for s in results["simulations"] if s["phase"] != "train"]
    assert all(s["extra"].get("usage", {}).get("user", {}).get("prompt_tokens", 0) > 0 for s in evaluated)
    assert "demo summary" in proc.stdout and str(out / "report.html") in proc.stdout
    assert "Traceback" not in proc.stderr and "Task was destroyed" not in proc.stderr
    assert metrics["usage"]["total"]["cost_usd"] == 0.0  # a local relay costs nothing
    steps = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert any(step.get("judge_requests", 0) > 0 for step in steps)  # the async LLM judge was asked
