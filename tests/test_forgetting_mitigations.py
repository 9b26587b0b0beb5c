"""Replay, the previous-stage anchor and per-stage adapters, on a real two-stage curriculum.

Real parts: the tiny local agent, TRL GRPO steps with real PEFT LoRA, the curriculum runner, the
results store. One anchored run with replay (two slices of the mock domain, one step each) serves
every test here: the replay share of the stage-2 batches, TRL's reference log-probs at the start
of stage 2 against the saved stage-1 policy, and rebuilding matrix rows from the saved adapters.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import torch
from transformers import TrainerCallback

from agentcl.config import ConfigError, parse_run_config
from agentcl.curriculum.replay import ScheduledTask, replay_schedule, replayed_per_batch
from agentcl.curriculum.stages import Stage

from curriculum_fixtures import TrialLengthUser
from test_curriculum_runner import TRAINING_FLAGS, load_runs

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

FIXED_CONVERSATION = [{"role": "user", "content": "Please mark task_3 as completed."},
                      {"role": "assistant", "content": "Done: task_3 is completed. Anything else?"}]


def conversation_logps(model, tokenizer) -> torch.Tensor:
    """Per-token log-probs of FIXED_CONVERSATION under `model` (as it is: adapters on or off)."""
    ids = tokenizer.apply_chat_template(FIXED_CONVERSATION, return_tensors="pt", return_dict=True)["input_ids"]
    ids = ids.to(next(model.parameters()).device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=ids).logits[:, :-1].float()
    model.train(was_training)
    return torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None])[0, :, 0].cpu()


class ReferenceProbe(TrainerCallback):
    """At the start of each stage: the log-probs of the policy and of TRL's reference on a fixed
    conversation, the reference computed the way GRPOTrainer does (trl's `use_adapter`: the "ref"
    adapter when TRL made one, else every adapter disabled)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.seen: list[dict] = []

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        from trl.trainer.utils import use_adapter

        policy = conversation_logps(model, self.tokenizer)
        with use_adapter(model, adapter_name="ref" if "ref" in model.peft_config else None):
            reference = conversation_logps(model, self.tokenizer)
        self.seen.append({"policy": policy, "reference": reference})


def stages():
    common = {"domain": "mock", "eval_split": "test", "max_eval_tasks": 2, "max_train_tasks": 2}
    return [Stage(name="mock_a", **common), Stage(name="mock_b", train_split="test", replay_ratio=0.5, **common)]


@pytest.fixture(scope="module")
def anchored_run(tmp_path_factory):
    from agentcl.curriculum.runner import run_curriculum
    from agentcl.training.model_loading import load_tokenizer

    tmp = tmp_path_factory.mktemp("anchored")
    flags = [*TRAINING_FLAGS, "--group-size", "2", "--tasks-per-step", "2", "--max-steps", "2", "--save-steps", "2",
             "--beta", "0.1", "--anchor", "previous-stage", "--domains", "mock", "--output-dir", str(tmp / "run")]
    config = parse_run_config(flags)
    probe = ReferenceProbe(load_tokenizer(config.model))
    result = run_curriculum(config, stages=stages(), user_simulator_factory=TrialLengthUser, progress=False,
                            callbacks=[probe])
    return config, result, probe


# -- replay ------------------------------------------------------------------------------------

@pytest.mark.parametrize("steps, per_step, ratio", [(4, 1, 0.5), (5, 2, 0.25), (3, 4, 0.5), (7, 3, 0.3)])
def test_replay_schedule_holds_the_share_in_every_batch(steps, per_step, ratio):
    own = [("retail", f"r{i}") for i in range(3)]
    earlier = [ScheduledTask("mock", f"m{i}", "mock") for i in range(2)]
    rows = replay_schedule(own, earlier, ratio=ratio, steps=steps, tasks_per_step=per_step, seed=1)
    assert len(rows) == steps * per_step
    batches = [rows[b * per_step:(b + 1) * per_step] for b in range(steps)]
    counts = [sum(r.replayed_from is not None for r in batch) for batch in batches]
    assert counts == replayed_per_batch(steps, per_step, ratio)
    for count in counts:  # every batch: floor or ceil of the share
        assert int(per_step * ratio + 1e-9) <= count <= -int(-(per_step * ratio) // 1)
    assert sum(counts) == int(steps * per_step * ratio + 1e-9)
    assert all(r.replayed_from == "mock" and r.domain == "mock" for r in rows if r.replayed_from)


def test_replay_without_earlier_stages_or_ratio_is_plain_training():
    own = [("mock", "a"), ("mock", "b")]
    assert all(r.replayed_from is None for r in replay_schedule(own, [], ratio=0.5, steps=3, tasks_per_step=2,
                                                                 seed=0))
    with pytest.raises(ConfigError, match="replay-ratio"):
        parse_run_config(["--replay-ratio", "1.0"])


@pytest.mark.slow
def test_replayed_tasks_fill_the_configured_share_of_every_stage2_batch(anchored_run):
    _, result, _ = anchored_run
    train = [r for r in load_runs(result.run_dir) if r.phase == "train"]
    assert train and all(r.replayed_from is None for r in train if r.stage == "mock_a")
    per_step = Counter(); replayed = Counter()
    for run in (r for r in train if r.stage == "mock_b"):
        per_step[run.extra["train_step"]] += 1
        if run.replayed_from is not None:
            assert run.replayed_from == "mock_a"
            replayed[run.extra["train_step"]] += 1
    assert len(per_step) == 2 and set(per_step.values()) == {4}  # 2 tasks x G = 2 per step
    assert all(replayed[step] == 2 for step in per_step)  # ratio 0.5 of 2 tasks = 1 task = 2 conversations
    mock_a_tasks = {r.task_id for r in train if r.stage == "mock_a"}
    assert {r.task_id for r in train if r.replayed_from} <= mock_a_tasks
    metrics = (result.run_dir / "metrics.json").read_text()
    assert '"replayed_conversations": 4' in metrics
    assert "replayed from" in (result.run_dir / "report.html").read_text()


# -- the previous-stage anchor ------------------------------------------------------------------

@pytest.mark.slow
def test_anchor_makes_the_stage1_policy_the_reference_of_stage2(anchored_run):
    from agentcl.training.model_loading import load_policy, load_tokenizer

    config, result, probe = anchored_run
    assert len(probe.seen) == 2
    tokenizer = load_tokenizer(config.model)
    stage1_policy = conversation_logps(load_policy(config.model, result.run_dir / "adapters" / "mock_a")[0], tokenizer)
    base = conversation_logps(load_policy(config.model)[0], tokenizer)
    assert not torch.allclose(stage1_policy, base, atol=1e-4)  # stage 1 moved the policy
    start2 = probe.seen[1]
    torch.testing.assert_close(start2["reference"], stage1_policy, atol=2e-5, rtol=0)
    torch.testing.assert_close(start2["policy"], stage1_policy, atol=2e-5, rtol=0)  # a fresh adapter (B = 0)
    torch.testing.assert_close(probe.seen[0]["reference"], base, atol=2e-5, rtol=0)  # stage 1: the base model


def test_anchor_settings_are_checked():
    with pytest.raises(ConfigError, match="--beta > 0"):
        parse_run_config(["--anchor", "previous-stage"])
    with pytest.raises(ConfigError, match="load-in-4bit"):
        parse_run_config(["--anchor", "previous-stage", "--beta", "0.1", "--load-in-4bit"])


# -- per-stage adapters --------------------------------------------------------------------------

@pytest.mark.slow
def test_any_row_of_the_matrix_is_rebuilt_from_the_kept_adapters(anchored_run, tmp_path):
    """Evaluating a stage's kept adapter (found by its stage name) on the run's stages, with the run's
    evaluation settings, reproduces that row's stored conversations exactly (same seeds, same
    batches). mock_b's adapter is a delta on top of the merged mock_a adapter."""
    import dataclasses

    from agentcl.curriculum.evaluate_cli import resolve_adapter
    from agentcl.curriculum.runner import CurriculumRunner

    config, result, _ = anchored_run
    stored = {(r.phase, r.stage, r.task_id, r.trial): r.messages for r in load_runs(result.run_dir)
              if r.phase in ("after_stage_1", "after_stage_2")}
    for row, stage in ((1, "mock_a"), (2, "mock_b")):
        adapter = resolve_adapter(stage, result.run_dir)
        assert adapter == result.run_dir / "adapters" / stage
        eval_config = parse_run_config([*TRAINING_FLAGS, "--adapter", str(adapter), "--domains", "mock",
                                        "--output-dir", str(tmp_path / stage)])
        assert dataclasses.asdict(eval_config.curriculum)["eval_trials"] == config.curriculum.eval_trials
        CurriculumRunner(eval_config, train=False, stages=stages(), user_simulator_factory=TrialLengthUser,
                         progress=False).run()
        rebuilt = load_runs(tmp_path / stage)
        assert len(rebuilt) == 8  # 2 stages x 2 tasks x 2 trials
        for run in rebuilt:  # the evaluation-only run labels its row "zero_shot"
            assert run.messages == stored[(f"after_stage_{row}", run.stage, run.task_id, run.trial)]


def test_an_unknown_stage_adapter_names_the_known_ones(tmp_path):
    from agentcl.curriculum.evaluate_cli import resolve_adapter

    (tmp_path / "adapters" / "mock").mkdir(parents=True)
    (tmp_path / "adapters" / "mock" / "adapter_config.json").write_text("{}")
    assert resolve_adapter("mock", tmp_path) == tmp_path / "adapters" / "mock"
    with pytest.raises(ConfigError, match="stages with adapters there: mock"):
        resolve_adapter("retail", tmp_path)
    with pytest.raises(ConfigError, match="--run-dir"):
        resolve_adapter("retail", None)


# -- bench/forgetting.py -------------------------------------------------------------------------

def test_forgetting_bench_arms_are_valid_configurations(tmp_path):
    """Smoke test of the bench's set-up (its runs are minutes: see README for a measured run); the
    comparison it prints is tested in test_metrics_edges.py."""
    import importlib.util

    from helpers import REPO_ROOT

    spec = importlib.util.spec_from_file_location("bench_forgetting", REPO_ROOT / "bench" / "forgetting.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    configs = {s: parse_run_config(["--preset", "demo", *bench.DEFAULT_FLAGS, *bench.strategy_flags(
        s, replay_ratio=0.5, beta=0.1)]) for s in bench.STRATEGIES}
    assert configs["naive"].curriculum.replay_ratio == 0 and configs["naive"].curriculum.anchor == "none"
    assert configs["replay"].curriculum.replay_ratio == 0.5 and configs["replay"].training.beta == 0
    assert configs["anchor"].curriculum.anchor == "previous-stage" and configs["anchor"].training.beta == 0.1
    assert {c.curriculum.domains == ["mock", "airline"] for c in configs.values()} == {True}
    with pytest.raises(ValueError, match="unknown strategy"):
        bench.strategy_flags("ewc", replay_ratio=0.5, beta=0.1)
    assert not bench.finished(tmp_path)
