"""End to end on CPU: run.py -> the stage loop -> real GRPO steps on the tiny model, the user simulator
over HTTP (relay); the loop also evaluates before and after the stage (one task, one trial here).

Checks: an API budget stops the run cleanly (before training, then after the step that crosses it)
and `--resume` without it finishes with no conversation lost or repeated; the LoRA adapter moved
away from its zero initialisation, rewards, advantages and API usage are in the training log and on
every stored conversation (metrics.json sums them), checkpoints are written, `--resume` continues
from the latest one, and the API key never reaches a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("ACCELERATE_USE_CPU", "true")

from training_support import good_agent_options, tiny_run_flags  # noqa: E402

KEY = "sk-test-relay-0001"


@pytest.fixture()
def relay():
    from agentcl.relay import RelayServer

    server = RelayServer()
    url = server.start()
    yield server, url
    server.stop()


def train_runs(out: Path) -> list[dict]:
    runs = json.loads((out / "results.json").read_text())["simulations"]
    return [r for r in runs if r["phase"] == "train"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_grpo_steps_end_to_end_with_checkpoint_and_resume(tmp_path, relay, capsys):
    import torch
    from safetensors.torch import load_file

    import run

    server, url = relay
    options = good_agent_options()
    out = tmp_path / "run"

    # 1) an API budget (issue 15): 1 token is spent by the zero-shot evaluation, so the run stops
    #    before training, with exit code 3 and everything done so far written
    flags = tiny_run_flags(out, url, max_steps=2) + ["--report-to", "tensorboard"]
    assert run.main(flags + ["--max-api-tokens", "1"], rollout_options=options) == 3
    printed = capsys.readouterr().out
    assert "API budget spent before training stage mock" in printed
    assert "[estimate] API spend estimate" in printed and "training" in printed  # printed at start
    spent = json.loads((out / "metrics.json").read_text())["usage"]["total"]["total_tokens"]
    assert spent > 1 and (out / "report.html").is_file() and not (out / "checkpoints").exists()
    #    a budget just above that is crossed by the first GRPO step: the run stops after it, with its
    #    conversations saved and a checkpoint to resume from, no final adapter
    assert run.main(flags + ["--resume", "--max-api-tokens", str(spent + 1)], rollout_options=options) == 3
    assert "API budget spent in stage mock after step 1" in capsys.readouterr().out
    assert (out / "checkpoints" / "mock" / "checkpoint-1").is_dir()
    assert not (out / "adapters" / "mock" / "agentcl_stage.json").exists()
    assert len(train_runs(out)) == 4 and [s["step"] for s in read_jsonl(out / "train_log.jsonl")] == [1]
    #    resumed with no budget, it trains step 2 from checkpoint-1 and finishes: two steps in all
    assert run.main(flags + ["--resume"], rollout_options=options) == 0
    assert server.stats()["total"] > 0  # the user turns went over HTTP
    checkpoints = out / "checkpoints" / "mock"
    assert (checkpoints / "checkpoint-1").is_dir() and (checkpoints / "checkpoint-2").is_dir()
    adapter = out / "adapters" / "mock"
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    lora_b = [w for name, w in weights.items() if "lora_B" in name]
    assert lora_b and any(torch.count_nonzero(w) > 0 for w in lora_b), "LoRA B is still all zeros: nothing learned"

    events = list((out / "logs" / "mock").rglob("events.out.tfevents*"))
    assert events, "no tensorboard events"
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = set()
    for path in events:
        accumulator = EventAccumulator(str(path))
        accumulator.Reload()
        tags |= set(accumulator.Tags()["scalars"])
    assert {"train/api/prompt_tokens", "train/api/cost_usd", "train/api/run_tokens"} <= tags, tags  # beside reward

    # the adapter loads back for evaluation
    from agentcl.config import ModelArgs
    from agentcl.training import load_policy

    policy, _ = load_policy(ModelArgs(model_name_or_path="tiny"), adapter)
    assert not policy.training
    loaded = {n: p for n, p in policy.named_parameters() if "lora_B" in n}
    assert loaded and any(torch.count_nonzero(p) > 0 for p in loaded.values())

    steps = read_jsonl(out / "train_log.jsonl")
    assert [s["step"] for s in steps] == [1, 2]
    for s in steps:
        assert s["stage"] == "mock" and s["conversations"] == 4
        assert 0.0 <= s["reward_mean"] <= 1.0 and "reward_std" in s
        assert {"advantage_mean", "advantage_abs_mean", "advantage_min", "advantage_max"} <= set(s)
    assert any(s["advantage_abs_mean"] > 0 for s in steps)  # the scripted success gave a signal
    assert any(s["grad_norm"] > 0 for s in steps)

    # every conversation, training and evaluation, carries the relay's token usage, and metrics.json
    # sums exactly those (issue 15); the training log has each step's spend
    metrics = json.loads((out / "metrics.json").read_text())
    every = json.loads((out / "results.json").read_text())["simulations"]
    assert every and all(r["extra"]["usage"]["user"]["calls"] >= 1 and r["extra"]["usage"]["user"]["prompt_tokens"] > 0
                         for r in every)
    tokens = lambda rs: sum(u["prompt_tokens"] + u["completion_tokens"]  # noqa: E731
                            for r in rs for u in r["extra"]["usage"].values())
    assert metrics["usage"]["total"]["total_tokens"] == tokens(every)
    assert metrics["usage"]["by_stage"]["mock"]["training"]["total_tokens"] == tokens(train_runs(out)) > 0
    assert sum(s["api_prompt_tokens"] + s["api_completion_tokens"] for s in steps) == tokens(train_runs(out))

    results = json.loads((out / "results.json").read_text())
    runs = train_runs(out)
    assert {r["phase"] for r in results["simulations"]} == {"train", "zero_shot", "after_stage_1"}
    assert len(runs) == 8 and len({r["id"] for r in runs}) == 8
    assert all(r["phase"] == "train" and "advantage" in r["extra"] for r in runs)
    good = [r for r in runs if r["reward_info"] and r["reward_info"]["reward"] == 1.0]
    assert good and all(r["termination_reason"] == "agent_stop" for r in good)
    assert all(r["extra"]["advantage"] > 0 for r in good)

    # 2) resume: --max-steps 3 continues from checkpoint-2 and trains one more step; a checkpoint-3
    #    that a kill left half-written (weights, no trainer_state.json) is removed, not resumed from
    torn = checkpoints / "checkpoint-3"
    torn.mkdir()
    (torn / "adapter_model.safetensors").write_bytes(b"\0" * 64)
    assert run.main(tiny_run_flags(out, url, max_steps=3) + ["--resume"], rollout_options=options) == 0
    assert "removed the incomplete checkpoint" in capsys.readouterr().out
    assert (checkpoints / "checkpoint-3").is_dir()
    state = json.loads((checkpoints / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    assert [s["step"] for s in read_jsonl(out / "train_log.jsonl")] == [1, 2, 3]
    stage_marker = json.loads((adapter / "agentcl_stage.json").read_text())
    assert stage_marker["steps"] == 3
    # the third step's conversations joined the first eight
    assert len(train_runs(out)) == 12

    # 3) resuming a finished stage skips it (its adapter is loaded to continue with): nothing is trained
    assert run.main(tiny_run_flags(out, url, max_steps=3) + ["--resume"], rollout_options=options) == 0
    assert "mock] already trained (3 steps), skipped" in capsys.readouterr().out
    assert not (checkpoints / "checkpoint-4").exists()
    assert len(train_runs(out)) == 12

    # the key passed by flag is masked in the saved config and appears in no written file
    assert "***REDACTED***" in (out / "config.yaml").read_text()
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".yaml", ".txt", ".md"):
            assert KEY not in path.read_text(errors="ignore"), path
