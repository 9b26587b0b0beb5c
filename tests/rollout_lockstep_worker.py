"""One process of the two-process lockstep test (launched by torchrun, gloo): see test_rollout_lockstep.py.

Part 1, the engine: rank 0 rolls out 2 conversations whose agent stops on its first turn, rank 1
rolls out 3 whose agent makes 5 tool calls first, through `GatheringBackend`: the tiny model
generating locally, behind a generate that first gathers every process's prompts
(`all_gather_object`), as TRL's vLLM server mode does. That gather is the stand-in for the
server's collective (vllm cannot run here); it blocks exactly where server mode would.

Part 2, `VLLMTrainerBackend` in server mode against `ServerModeStandIn`: a stand-in for
`trainer.vllm_generation` that behaves like TRL's server mode (gather all prompts, the main
process answers them all with one length limit, every process takes back the slice
`[rank * n, (rank + 1) * n)` of its own prompt count n). Its "model" answers each prompt with its
last token repeated, so a process can check that it got the answers to its own prompts.

Each rank writes <out>/rank<R>.json for the test to check.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]

import torch.distributed as dist  # noqa: E402

from agentcl.rollout import (GenerationParams, GenerationRequest, HFGenerationBackend, RolloutEngine,  # noqa: E402
                             RolloutItem, RolloutLimits, ScriptedAgent, VLLMTrainerBackend)
from rollout_fixtures import CountingUser, tool_call_text  # noqa: E402

TOOL_TURNS = {0: 0, 1: 5}  # agent tool-call turns before its stop, per rank: very different lengths
CONVERSATIONS = {0: 2, 1: 3}


class GatheringBackend(HFGenerationBackend):
    """HF generate on this process, after an all_gather of every process's prompts (server mode's collective)."""

    collective = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def generate(self, requests, params):
        gathered = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, [list(r.input_ids) for r in requests])
        self.calls += 1
        return super().generate(requests, params)


class ServerModeStandIn:
    """Behaves like TRL's `VLLMGeneration.generate` in server mode, with a trivial model."""

    mode = "server"

    def __init__(self, stop_id: int):
        self.max_completion_length = 64
        self.stop_id = stop_id
        self.limits_seen: list[int] = []

    def generate(self, prompts, images, num_generations):
        assert num_generations == 1
        everyone = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, prompts)
        flat = [p for ps in everyone for p in ps]
        answers = [None]
        if dist.get_rank() == 0:  # the main process talks to the server; one limit for every prompt
            answers = [[[p[-1]] * self.max_completion_length for p in flat]]
        dist.broadcast_object_list(answers, src=0)
        self.limits_seen.append(self.max_completion_length)
        mine = slice(dist.get_rank() * len(prompts), (dist.get_rank() + 1) * len(prompts))
        completions = answers[0][mine]
        return None, completions, [[[-0.5] for _ in c] for c in completions], None


def engine_part(rank: int) -> dict:
    from agentcl.models import load_tiny_agent
    from agentcl.registry import load_domain

    model, tokenizer = load_tiny_agent()
    domain = load_domain("mock")

    def script(conversation):
        if conversation.num_agent_turns < TOOL_TURNS[rank]:
            return tool_call_text("get_users", {})
        return "Done. ###STOP###"

    backend = GatheringBackend(model, tokenizer, extra_logits_processors=ScriptedAgent(tokenizer, script))
    engine = RolloutEngine(tokenizer, CountingUser(stop_after=10), backend=backend,
                           generation=GenerationParams(max_new_tokens=48),
                           limits=RolloutLimits(max_steps=40, max_total_tokens=4096))
    items = [RolloutItem(domain.tasks[i], domain) for i in range(CONVERSATIONS[rank])]
    conversations = engine.run(items)
    engine.close()
    return {
        "terminations": [c.termination_reason.value for c in conversations],
        "agent_turns": [c.num_agent_turns for c in conversations],
        "generate_calls": backend.calls,
        "rounds": engine.last_stats.rounds,
    }


def vllm_part(rank: int) -> dict:
    server = ServerModeStandIn(stop_id=7)
    trainer = type("Trainer", (), {"vllm_generation": server})()
    backend = VLLMTrainerBackend(trainer, stop_token_ids=[7])
    params = GenerationParams(max_new_tokens=8)
    # per call, (requests on rank 0, requests on rank 1): different counts, budgets, and no request at all
    plans = [[(100, 3)], [(200, 5), (201, 2), (202, 4)]], [[], [(300, 6), (301, 1)]]
    calls = []
    for plan in plans:
        requests = [GenerationRequest([1, 2, last], budget) for last, budget in plan[rank]]
        outputs = backend.generate(requests, params)
        calls.append({"requests": [[last, budget] for last, budget in plan[rank]],
                      "outputs": [o.token_ids for o in outputs], "stopped": [o.stopped for o in outputs]})
    return {"collective": backend.collective, "calls": calls, "limits_seen": server.limits_seen}


def main() -> int:
    out = Path(sys.argv[1])
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=int(os.environ.get("LOCKSTEP_PG_TIMEOUT", "300"))))
    rank = dist.get_rank()
    result = {"rank": rank, "engine": engine_part(rank), "vllm": vllm_part(rank)}
    (out / f"rank{rank}.json").write_text(json.dumps(result))
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
