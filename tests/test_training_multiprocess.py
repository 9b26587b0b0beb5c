"""The data-parallel path on CPU: `torchrun --nproc_per_node 2` runs run.py in two processes (gloo).

Checks: each rank rolls out a different task's group, DDP keeps the LoRA weights identical on both
ranks after the steps (and they did move), every process rolls out its own shard of each evaluation
(zero-shot and after the stage), results are written once, by the main process, and the API usage
of both ranks' conversations is recorded and summed (metrics.json, training log, relay).
(One torchrun run checks training and evaluation together: each launch costs two processes that
import torch, transformers and TRL.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from helpers import REPO_ROOT
from training_support import tiny_run_flags


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def failure_report(proc, log_path) -> str:
    """The whole output goes to a file; the message leads with each rank's exception lines, which
    a plain tail loses behind the other ranks' tracebacks and torchrun's summary."""
    log_path.write_text(proc.stdout + "\n----- stderr -----\n" + proc.stderr)
    raised = [line for line in proc.stderr.splitlines() if "Error" in line or "Exception" in line]
    return (f"exit {proc.returncode}; full output in {log_path}\nexception lines:\n" + "\n".join(raised[:40])
            + "\n----- stderr tail -----\n" + proc.stderr[-3000:])


EVAL_TASKS, EVAL_TRIALS = 3, 2  # odd task count: the shards of an evaluation are unequal


@pytest.mark.slow
def test_two_processes_shard_rollouts_sync_gradients_and_write_once(tmp_path):
    import torch

    from agentcl.relay import RelayServer

    server = RelayServer()
    url = server.start()
    out = tmp_path / "run"
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
           "TRL_EXPERIMENTAL_SILENCE": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), str(REPO_ROOT / "tests" / "training_worker.py"),
           *tiny_run_flags(out, url, max_steps=2, save_steps=2, tasks_per_step=2, group_size=2,
                          eval_tasks=EVAL_TASKS, eval_trials=EVAL_TRIALS),
           "--judge-coefficient", "0.1", "--estimate-sample", "0"]  # the quality judge spends too
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
        relay_tokens = server.stats()["tokens"]
    finally:
        server.stop()
    assert proc.returncode == 0, failure_report(proc, tmp_path / "torchrun.log")
    # the configuration is printed (and saved) once, and the run reported once, by the main process
    assert proc.stdout.count("resolved configuration") == 1
    assert proc.stdout.count("curriculum finished") == 1

    # gradients were synchronised: both ranks hold the same LoRA weights, and those moved from init
    ranks = [torch.load(out / f"lora_rank{r}.pt") for r in (0, 1)]
    assert ranks[0]["global_step"] == ranks[1]["global_step"] == 2
    names = sorted(ranks[0]["lora"])
    assert names and names == sorted(ranks[1]["lora"])
    for name in names:
        assert torch.equal(ranks[0]["lora"][name], ranks[1]["lora"][name]), f"ranks differ on {name}"
    assert any(torch.count_nonzero(ranks[0]["lora"][n]) > 0 for n in names if "lora_B" in n)

    # each rank rolled out its own tasks, and every conversation was written exactly once
    everything = json.loads((out / "results.json").read_text())["simulations"]
    runs = [r for r in everything if r["phase"] == "train"]  # the loop's evaluations come besides
    assert len(runs) == 2 * 4
    journal = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    assert len(journal) == len(everything) == len({r["id"] for r in journal})
    by_step_rank = defaultdict(set)
    for r in runs:
        by_step_rank[(r["extra"]["train_step"], r["extra"]["process_index"])].add(r["task_id"])
    for step in (1, 2):
        rank0, rank1 = by_step_rank[(step, 0)], by_step_rank[(step, 1)]
        assert rank0 and rank1 and not (rank0 & rank1), (step, rank0, rank1)
    log_lines = (out / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in log_lines] == [1, 2]
    assert (out / "checkpoints" / "mock" / "checkpoint-2").is_dir()

    # API spend (issue 15): every conversation of both ranks, training and evaluation, carries its user
    # simulator's and judge's usage; metrics.json and the training log sum exactly those, and so does
    # the relay's own count of the tokens it reported
    for r in everything:
        usage = r["extra"]["usage"]
        assert usage["user"]["calls"] >= 1 and usage["user"]["prompt_tokens"] > 0, r["id"]
    # the quality judge was paid for (an identical conversation's verdict comes from the cache, free)
    assert any(r["extra"]["usage"].get("judge", {}).get("calls", 0) >= 1 for r in runs)
    total = lambda rs, key: sum(u[key] for r in rs for u in r["extra"]["usage"].values())  # noqa: E731
    metrics = json.loads((out / "metrics.json").read_text())["usage"]
    assert metrics["total"]["prompt_tokens"] == total(everything, "prompt_tokens") == relay_tokens["prompt_tokens"]
    assert metrics["total"]["completion_tokens"] == total(everything, "completion_tokens") \
        == relay_tokens["completion_tokens"]
    assert metrics["by_stage"]["mock"]["training"]["calls"] == total(runs, "calls")
    steps = [json.loads(line) for line in log_lines]
    assert sum(s["api_prompt_tokens"] for s in steps) == total(runs, "prompt_tokens")  # both ranks' share
    assert not (out / "lora_rank2.pt").exists()

    # the evaluations before and after the stage: each conversation once, both processes rolled some out
    evaluations = [r for r in everything if r["phase"] != "train"]
    assert {r["phase"] for r in evaluations} == {"zero_shot", "after_stage_1"}
    ids = [r["id"] for r in evaluations]
    assert len(ids) == len(set(ids)) == 2 * EVAL_TASKS * EVAL_TRIALS
    by_rank = Counter(r["extra"]["process_index"] for r in evaluations)
    assert set(by_rank) == {0, 1}
    assert (out / "report.html").is_file() and (out / "adapters" / "mock" / "adapter_config.json").is_file()
