"""`bench/gpu_check.sh --dry-run`: the GPU check's whole path on CPU with tiny shapes.

The same scripts as on the GPU (train_step.py for LoRA and QLoRA, rollout_throughput.py,
run_with_accelerate.sh single through accelerate launch to the curriculum's report), with
litellm made unimportable as on the GPU machine. Slow: seven Python processes each import torch,
transformers and TRL (about 2 minutes of CPU time).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import REPO_ROOT


@pytest.mark.slow
def test_gpu_check_dry_run_measures_every_part_and_writes_its_table(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("OUT", "AGENTCL_PYTHON")}
    env.update(CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1")
    proc = subprocess.run(["bash", str(REPO_ROOT / "bench" / "gpu_check.sh"), "--dry-run", "--out", str(tmp_path)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    log = tmp_path / "gpu_check_abc_dry_run.log"
    assert proc.returncode == 0, (proc.stderr[-3000:], log.read_text()[-3000:] if log.exists() else "")
    report = json.loads((tmp_path / "gpu_check_abc_dry_run.json").read_text())
    assert report["dry_run"] is True and report["environment"]["device"] == "cpu"
    parts = report["parts"]
    assert {p: parts[p]["exit"] for p in "abc"} == {"a": 0, "b": 0, "c": 0}

    steps = {r["mode"]: r for r in parts["a"]["results"]}
    assert set(steps) == {"lora", "qlora"}
    for r in steps.values():
        assert r["step_s"] > 0 and r["tokens_per_s"] > 0 and r["trainable_params"] > 0

    rows = parts["b"]["results"]
    assert [r["n"] for r in rows] == [2, 4]
    for r in rows:
        assert r["batched"]["conversations"] == r["n"] and r["batched"]["agent_tokens_per_s"] > 0
        assert r["ratio_agent_tokens_per_s"] > 0

    assert parts["c"]["report"] and parts["c"]["metrics"]
    metrics = json.loads((tmp_path / "curriculum_metrics.json").read_text())  # copied beside the table
    assert metrics["stages"] == parts["c"]["stages"] == ["mock", "airline"]
    assert metrics["accuracy_matrix"]["rows"] == ["zero_shot", "after_stage_1", "after_stage_2"]

    table = (tmp_path / "gpu_check_abc_dry_run.md").read_text()
    for needle in ("GRPO step lora", "GRPO step qlora", "2 conversations", "4 conversations",
                   "two-stage mini curriculum"):
        assert needle in table


def test_gpu_check_rejects_unknown_arguments():
    proc = subprocess.run(["bash", str(REPO_ROOT / "bench" / "gpu_check.sh"), "--sideways"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "unknown argument '--sideways'" in proc.stderr
