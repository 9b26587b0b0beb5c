#!/usr/bin/env python
"""Rollout throughput: batched lockstep conversations vs the same conversations one at a time.

    python bench/rollout_throughput.py                         # 16 and 64 conversations, relay user
    python bench/rollout_throughput.py --conversations 16 --user scripted
    python bench/rollout_throughput.py --latency-ms 300        # slower simulated user API
    python bench/rollout_throughput.py --shape qwen3-4b --user scripted --sequential-sample 4   # GPU

Both modes use the same engine, model, tasks and limits. "sequential" runs one conversation to its
end before starting the next (batch of 1 per generate, one user call at a time: the seed design's
way); "batched" runs them all in lockstep (one generate per agent round, one concurrent
respond_batch per user round, overlapped). The agent is the offline tiny Qwen3-format model
(random weights, sampling), so what is measured is the engine's batching, not answer quality;
`--shape qwen3-4b` swaps in a randomly initialised model of Qwen3-4B's shape (bf16, on the GPU).

User simulators (--user):
- relay: the scripted user served over HTTP by `python -m agentcl.relay` (started here, with
  --latency-ms added to every answer, like a remote API), reached through the project's litellm
  user simulator;
- scripted: the same scripted user in-process (no HTTP);
- counting: a built-in stand-in (answers a fixed number of times), for when neither is installed.

Prints conversations/minute and agent tokens/second for each mode and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", default="16,64", help="comma-separated conversation counts")
    p.add_argument("--domain", default="mock")
    p.add_argument("--user", choices=["relay", "scripted", "counting"], default="relay")
    p.add_argument("--latency-ms", type=float, default=100.0, help="relay latency per user answer (relay only)")
    p.add_argument("--agent", choices=["scripted", "free"], default="scripted",
                   help="scripted: the model is constrained to a multi-turn plan with tool calls; free: it samples")
    p.add_argument("--tool", default="get_users", help="the tool the scripted agent calls (no arguments)")
    p.add_argument("--max-new-tokens", type=int, default=48, help="agent tokens per turn")
    p.add_argument("--max-steps", type=int, default=30)
    p.add_argument("--max-total-tokens", type=int, default=4096)
    p.add_argument("--max-batch-size", type=int, default=None, help="split agent rounds into chunks of this size")
    p.add_argument("--no-prefix-cache", action="store_true", help="prefill every conversation in full each turn")
    p.add_argument("--sequential-sample", type=int, default=None,
                   help="time only this many conversations one at a time and extrapolate the rate (large N)")
    p.add_argument("--model-dir", default=None, help="tiny agent directory (default: the user cache)")
    p.add_argument("--shape", choices=["tiny", "qwen3-4b"], default="tiny",
                   help="the agent model: the tiny agent, or random weights of Qwen3-4B's shape (bf16, GPU)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda for qwen3-4b when there is one)")
    p.add_argument("--repeats", type=int, default=1,
                   help="run each mode this many times, alternating, and keep each mode's fastest run "
                        "(for shared, noisy machines)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json-out", default=None)
    return p.parse_args(argv)


# -- user simulators ----------------------------------------------------------------------------
class CountingUser:
    """Stand-in user: states the task, answers twice, then stops (built only for --user counting)."""

    def __new__(cls):
        from agentcl.data_model import Message
        from agentcl.users.base import UserSimulator, UserTurn

        class _Counting(UserSimulator):
            name = "bench-counting"

            async def respond(self, conversation):
                turn = sum(1 for m in conversation.history if m.role == "user" and m.content)
                if turn >= 3:
                    return UserTurn(Message(role="user", content="Thanks, bye. ###STOP###"))
                return UserTurn(Message(role="user", content=f"I need help with {conversation.task.id}, part {turn}."))

        return _Counting()


def start_relay(latency_ms: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentcl.relay", "--port", "0", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"listening on (\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise RuntimeError("the relay did not start (python -m agentcl.relay)")


def make_user(kind: str, relay_url: str | None):
    if kind == "counting":
        return CountingUser()
    from agentcl.registry import get_user_simulator_class

    if kind == "scripted":
        return get_user_simulator_class("scripted")()
    from agentcl.llm.client import Endpoint

    cls = get_user_simulator_class("openai_user_simulator")
    base = relay_url.rstrip("/")
    endpoint = Endpoint(model="openai/scripted-user", api_base=base if base.endswith("/v1") else base + "/v1")
    return cls([endpoint], max_concurrency=256)


# -- the scripted agent ------------------------------------------------------------------------
def agent_plan(tool: str):
    """A conversation shape like a real one: a question, two tool rounds, a report, a closing question.

    The model generates every token (constrained by ScriptedAgent), so the cost per token is the
    model's; the plan only makes the conversations last several turns with tool calls in them.
    """
    call = '<tool_call>\n{"name": "%s", "arguments": {}}\n</tool_call>' % tool
    plan = [
        "Thanks for reaching out. Could you tell me your user id, please?",
        "Let me look that up.\n" + call,
        call,
        "I have checked your account and made the change you asked for. Is there anything else?",
    ]

    def script(conversation):
        turn = conversation.num_agent_turns
        return plan[turn] if turn < len(plan) else "Is there anything else I can help you with today?"

    return script


# -- the measurement ----------------------------------------------------------------------------
def run_mode(engine, items, mode: str, sample: int | None, seed: int) -> dict:
    import torch
    from tqdm.auto import tqdm

    torch.manual_seed(seed)
    chosen = items if mode == "batched" or sample is None else items[:sample]
    started = time.perf_counter()
    stats = {"generate_s": 0.0, "user_wait_s": 0.0, "agent_tokens": 0, "generate_calls": 0}
    prefill_before = getattr(engine.backend, "prefill_tokens", 0)
    conversations = []
    groups = [chosen] if mode == "batched" else [[item] for item in chosen]
    for group in tqdm(groups, desc=f"{mode} x{len(chosen)}", unit="run", leave=False, disable=len(groups) < 2):
        conversations += engine.run(group)
        s = engine.last_stats
        stats["generate_s"] += s.generate_s
        stats["user_wait_s"] += s.user_wait_s
        stats["agent_tokens"] += s.agent_tokens
        stats["generate_calls"] += s.generate_calls
    wall = time.perf_counter() - started
    stats["prefill_tokens"] = getattr(engine.backend, "prefill_tokens", 0) - prefill_before
    terminations: dict[str, int] = {}
    for c in conversations:
        terminations[c.termination_reason.value] = terminations.get(c.termination_reason.value, 0) + 1
    return {
        "mode": mode, "conversations": len(conversations), "wall_s": wall,
        "conversations_per_min": 60.0 * len(conversations) / wall,
        "agent_tokens_per_s": stats["agent_tokens"] / wall,
        "agent_turns": sum(c.num_agent_turns for c in conversations),
        "user_turns": sum(c.num_user_turns for c in conversations),
        "terminations": terminations, **stats,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from agentcl.models import ensure_tiny_agent, load_tiny_agent
    from agentcl.registry import load_domain
    from agentcl.rollout import (GenerationParams, HFGenerationBackend, RolloutEngine, RolloutItem, RolloutLimits,
                                 ScriptedAgent)

    counts = [int(x) for x in args.conversations.split(",") if x.strip()]
    model_dir = Path(args.model_dir) if args.model_dir else None
    model, tokenizer = load_tiny_agent(ensure_tiny_agent(model_dir))
    if args.shape == "qwen3-4b":
        from model_shapes import random_model

        model = random_model("qwen3-4b", tokenizer, device=args.device).eval()
    elif args.device:
        model = model.to(args.device)
    domain = load_domain(args.domain)
    relay = None
    relay_url = None
    if args.user == "relay":
        relay, relay_url = start_relay(args.latency_ms)
    results = []
    try:
        user = make_user(args.user, relay_url)
        processors = ScriptedAgent(tokenizer, agent_plan(args.tool), strict=False) if args.agent == "scripted" else None
        backend = HFGenerationBackend(model, tokenizer, max_batch_size=args.max_batch_size,
                                      extra_logits_processors=processors, prefix_caching=not args.no_prefix_cache)
        engine = RolloutEngine(
            tokenizer, user, backend=backend,
            generation=GenerationParams(max_new_tokens=args.max_new_tokens, temperature=1.0),
            limits=RolloutLimits(max_steps=args.max_steps, max_total_tokens=args.max_total_tokens),
        )
        engine.run([RolloutItem(domain.tasks[0], domain)])  # warm-up: model, tokenizer, HTTP client
        print(f"{args.shape} agent on {model.device}: {sum(p.numel() for p in model.parameters()):,} parameters, "
              f"tokenizer vocab {len(tokenizer)}; "
              f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}; "
              f"agent: {args.agent}; user: {args.user}; prefix cache: {'off' if args.no_prefix_cache else 'on'}"
              + (f" (relay {relay_url}, +{args.latency_ms:.0f} ms per answer)" if relay_url else ""))
        print(f"agent turns: up to {args.max_new_tokens} tokens, temperature 1.0; "
              f"limits: {args.max_steps} steps, {args.max_total_tokens} tokens\n")
        header = f"{'N':>4} {'mode':>10} {'wall s':>8} {'conv/min':>9} {'agent tok/s':>11} {'turns':>6} " \
                 f"{'gen calls':>9} {'gen s':>7} {'user wait s':>11} {'prefill tok':>11}"
        print(header)
        print("-" * len(header))
        for n in counts:
            items = [RolloutItem(domain.tasks[i % len(domain.tasks)], domain, i // len(domain.tasks))
                     for i in range(n)]
            row = {"n": n}
            for _ in range(max(1, args.repeats)):
                for mode in ("sequential", "batched"):
                    r = run_mode(engine, items, mode, args.sequential_sample, args.seed)
                    if mode not in row or r["wall_s"] < row[mode]["wall_s"]:
                        row[mode] = r
            for mode in ("sequential", "batched"):
                r = row[mode]
                print(f"{n:>4} {mode:>10} {r['wall_s']:>8.2f} {r['conversations_per_min']:>9.1f} "
                      f"{r['agent_tokens_per_s']:>11.1f} {r['agent_turns']:>6} {r['generate_calls']:>9} "
                      f"{r['generate_s']:>7.2f} {r['user_wait_s']:>11.2f} {r['prefill_tokens']:>11}")
            row["ratio_conversations_per_min"] = (row["batched"]["conversations_per_min"]
                                                  / row["sequential"]["conversations_per_min"])
            row["ratio_agent_tokens_per_s"] = (row["batched"]["agent_tokens_per_s"]
                                               / row["sequential"]["agent_tokens_per_s"])
            print(f"{n:>4} {'endings':>10}  {row['batched']['terminations']}")
            print(f"{n:>4} {'ratio':>10}  batched/sequential: {row['ratio_conversations_per_min']:.1f}x "
                  f"conversations/min, {row['ratio_agent_tokens_per_s']:.1f}x agent tokens/s")
            print("-" * len(header))
            results.append(row)
        engine.close(close_user_simulator=True)
    finally:
        if relay is not None:
            relay.terminate()
            relay.wait(timeout=10)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
