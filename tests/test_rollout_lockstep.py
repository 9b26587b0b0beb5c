"""Multi-process rollouts with a collective generate cannot hang: the engine keeps its rounds in step.

TRL's vLLM server mode gathers every process's prompts in each generate call, so every process
must call generate the same number of times, while each process's conversations need a different
number of agent rounds. Two CPU processes (torchrun, gloo) roll out conversations of very
different lengths (rank 0: the agent stops at once; rank 1: five tool calls first) through a
backend whose generate does an all_gather of the prompts first: a stand-in for the vLLM server's
collective (vllm cannot run here), which blocks exactly where server mode would. Before the fix,
rank 0 left the loop after its last conversation and rank 1 waited forever in the gather; the
subprocess timeout turns such a hang into a failure.

The same two processes then drive `VLLMTrainerBackend` against a stand-in of TRL's server-mode
generate (gather all prompts, one length limit, each process takes back the slice of its own
prompt count): with different request counts per process, each still gets its own answers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from helpers import REPO_ROOT
from test_training_multiprocess import failure_report, free_port

TIMEOUT_S = 240  # a hang fails here instead of blocking CI (a healthy run takes ~30 s on 2 cores)


@pytest.mark.slow
def test_uneven_conversations_on_two_processes_finish_in_step(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
           "HF_HUB_OFFLINE": "1", "LOCKSTEP_PG_TIMEOUT": str(TIMEOUT_S + 60)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), str(REPO_ROOT / "tests" / "rollout_lockstep_worker.py"), str(tmp_path)]
    # its own process group, so a hang can be ended with the workers (killing torchrun alone orphans them)
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        pytest.fail(f"the two processes did not finish in {TIMEOUT_S}s (a rollout hang): {stderr[-2000:]}")
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    assert done.returncode == 0, failure_report(done, tmp_path / "torchrun.log")
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]

    # every conversation ran to the agent's stop, with its own length
    assert ranks[0]["engine"]["terminations"] == ["agent_stop"] * 2
    assert ranks[1]["engine"]["terminations"] == ["agent_stop"] * 3
    assert ranks[0]["engine"]["agent_turns"] == [1, 1]
    assert ranks[1]["engine"]["agent_turns"] == [6, 6, 6]
    # in step: both processes called the collective generate equally often, as many times as the
    # longer process needed (its 6 agent rounds), the short one mostly with no request
    calls = [r["engine"]["generate_calls"] for r in ranks]
    assert calls[0] == calls[1] >= 6, calls
    assert ranks[0]["engine"]["rounds"] == ranks[1]["engine"]["rounds"]

    # VLLMTrainerBackend in server mode: collective, one limit (the largest budget) per call, and each
    # process gets the answers to its own prompts (the stand-in answers a prompt with its last token)
    for r in ranks:
        assert r["vllm"]["collective"] is True
        assert r["vllm"]["limits_seen"] == [5, 6]
        for call in r["vllm"]["calls"]:
            assert len(call["outputs"]) == len(call["requests"])
            for (last, budget), tokens in zip(call["requests"], call["outputs"]):
                assert tokens == [last] * budget, (r["rank"], last, budget, tokens)
