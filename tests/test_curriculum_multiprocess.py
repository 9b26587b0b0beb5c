"""The curriculum on two processes (`torchrun --nproc_per_node 2`, gloo on CPU): every process
rolls out its own shard of each evaluation, the main process writes every conversation once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

from helpers import REPO_ROOT

WORKER = textwrap.dedent("""
    import sys
    from agentcl.config import parse_run_config
    from agentcl.curriculum.runner import run_curriculum
    from agentcl.curriculum.stages import Stage
    from curriculum_fixtures import TrialLengthUser

    stage = Stage(name="mock", domain="mock", eval_split="test", max_train_tasks=2, max_eval_tasks=3)
    run_curriculum(parse_run_config(sys.argv[1:]), stages=[stage], user_simulator_factory=TrialLengthUser,
                   progress=False)
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_share_the_evaluation_and_write_each_conversation_once(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "run"
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
           "TRL_EXPERIMENTAL_SILENCE": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT / "tests")])}
    flags = ["--model", "tiny", "--no-gradient-checkpointing", "--lora-r", "4", "--lora-dropout", "0",
             "--group-size", "2", "--tasks-per-step", "2", "--max-steps", "1", "--save-steps", "1",
             "--max-new-tokens", "8", "--max-conversation-steps", "6", "--max-conversation-tokens", "1536",
             "--eval-trials", "2", "--output-dir", str(out), "--domains", "mock"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), str(script), *flags]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert proc.stdout.count("curriculum finished") == 1  # only the main process reports

    runs = json.loads((out / "results.json").read_text())["simulations"]
    evaluations = [r for r in runs if r["phase"] != "train"]
    ids = [r["id"] for r in evaluations]
    assert len(ids) == len(set(ids)) == 2 * 3 * 2  # 2 phases x 3 tasks x 2 trials, each once
    journal = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    assert len(journal) == len(runs)  # nothing written twice
    by_rank = Counter(r["extra"]["process_index"] for r in evaluations)
    assert set(by_rank) == {0, 1}  # both processes rolled out evaluation conversations
    assert (out / "report.html").is_file() and (out / "adapters" / "mock" / "adapter_config.json").is_file()
