#!/usr/bin/env python
"""How long a training step waits on the judge: three ways of calling it, side by side, one run.

    python bench/judge_overlap.py                       # L = 1 s, N = 100, concurrency 25
    python bench/judge_overlap.py --latency 2 --n 200 --concurrency 50 --gpu-seconds 10

Against the local relay in its own process (real HTTP, the project's judge prompts, the offline
judge answering after a fixed latency L), one simulated training step per mode:

    rollout phase (--rollout-seconds): the N conversations end one by one, evenly spread;
    GPU phase (--gpu-seconds): old/reference log-probs, simulated by the main thread sleeping;
    reward phase: the reward function gets every conversation's judge verdict.

- sequential: after the GPU phase, one judge call after another;
- batch:      after the GPU phase, all N submitted to the dispatcher at once and gathered;
- overlapped: each conversation's request submitted to the dispatcher the moment it ends; the
              async reward terms (the ones given to TRL) only collect the futures.

All three use the training path: the judge dispatcher over the project's shared LLMClient
(litellm). Each row starts with an untimed warm-up of one full wave (`concurrency` requests), so the
client holds its connections as it does in every training step after the first. Two more rows:
"batch, lean client" runs the batch mode with a minimal aiohttp OpenAI-compatible client written
here, to separate the dispatcher's own efficiency from the HTTP client's CPU cost
(--no-lean-client to skip it); "batch, cold client" warms up with a single request only, so the
timed step also opens the connections: what the first step of a run pays (--no-cold-client to
skip it; it runs first, as litellm shares its connections process-wide; no target applies to it).

Printed per row: the step's total time, the time it waited on the judge (and its share of the
step), judge throughput (N / time from the first request to the last answer) against the limit
concurrency / L, and the client process's CPU time per request. Throughput is capped below the
limit when N is not a multiple of the concurrency (the last wave runs part-empty): the "ideal"
column shows that cap. Targets: the overlapped step waits < 5% of its time when
ceil(N / concurrency) x L fits in the GPU phase, and batch throughput >= 90% of the limit.

Every request is distinct (a per-row salt), so no row gets cache hits.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tqdm import tqdm  # noqa: E402

from agentcl.data_model import Message, RewardInfo  # noqa: E402
from agentcl.rewards.judge.dispatcher import JudgeDispatcher  # noqa: E402
from agentcl.rewards.judge.client import relay_judge_client  # noqa: E402
from agentcl.rewards.judge.judges import LLMQualityJudge  # noqa: E402
from agentcl.rewards.pending import PendingConversationReward  # noqa: E402
from agentcl.rewards.terms import RewardStats, make_judge_fn, make_task_reward_fn  # noqa: E402

MODES = ("sequential", "batch", "overlapped")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", type=float, default=1.0, help="judge latency L in seconds (relay, fixed)")
    p.add_argument("--n", type=int, default=100, help="judged conversations per step")
    p.add_argument("--concurrency", type=int, default=25, help="dispatcher concurrency cap")
    p.add_argument("--gpu-seconds", type=float, default=6.0, help="simulated GPU work between rollout and reward")
    p.add_argument("--rollout-seconds", type=float, default=2.0, help="time over which the conversations end")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    p.add_argument("--no-lean-client", dest="lean_client", action="store_false",
                   help="skip the extra batch row with the minimal aiohttp client")
    p.add_argument("--no-cold-client", dest="cold_client", action="store_false",
                   help="skip the extra batch row whose client opens its connections during the step")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in args.modes:
        if m not in MODES:
            p.error(f"unknown mode {m!r}; choose from {', '.join(MODES)}")
    if args.n < 1 or args.concurrency < 1 or args.latency < 0 or args.gpu_seconds < 0 or args.rollout_seconds < 0:
        p.error("--n and --concurrency must be >= 1, times >= 0")
    return args


def conversation(i: int, salt: str) -> list[Message]:
    """A short, distinct customer-service exchange (distinct text: no cache hits)."""
    return [
        Message(role="user", content=f"Hi, I need help with order #{salt}-{i}. It arrived damaged."),
        Message(role="assistant", content=f"I'm sorry to hear that. I can see order #{salt}-{i}; "
                                          "I have started a return and you will get a full refund."),
        Message(role="user", content="Thanks, that's all. ###STOP###"),
    ]


class LeanClient:
    """A minimal OpenAI-compatible chat client (aiohttp, no retries): bench only, to isolate the dispatcher."""

    def __init__(self, base_url: str):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.session = None

    async def __call__(self, messages, **params) -> str:
        import aiohttp

        if self.session is None:  # created on the dispatcher's loop, closed there by `aclose`
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        async with self.session.post(self.url, json={"model": "judge", "messages": messages, **params}) as response:
            response.raise_for_status()
            return (await response.json())["choices"][0]["message"]["content"]

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


class Timeline:
    """Records when requests go out and answers come back (any thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first_submit: float | None = None
        self.last_answer: float | None = None

    def submitted(self) -> None:
        with self.lock:
            now = time.perf_counter()
            self.first_submit = now if self.first_submit is None else min(self.first_submit, now)

    def answered(self, _future=None) -> None:
        with self.lock:
            now = time.perf_counter()
            self.last_answer = now if self.last_answer is None else max(self.last_answer, now)


def run_mode(mode: str, args: argparse.Namespace, base_url: str, variant: str = "") -> dict:
    """One simulated step; `variant` is "", "lean client" or "cold client" (see the module docstring)."""
    lean = variant == "lean client"
    if lean:
        complete = LeanClient(base_url)
    else:  # the training path: the shared LLMClient under the judge dispatcher
        complete = relay_judge_client(base_url, max_concurrency=args.concurrency,
                                      timeout_s=max(30.0, 10 * args.latency)).complete
    dispatcher = JudgeDispatcher(complete, model="judge", max_concurrency=args.concurrency)
    judge = LLMQualityJudge(dispatcher)
    salt = f"{mode}-{variant}"
    # Untimed warm-up. One full wave: the client opens its `concurrency` connections and fills its
    # caches, as every training step after the first finds them. The cold variant sends one
    # request (imports and client set-up only).
    warmup = 1 if variant == "cold client" else args.concurrency
    dispatcher.run_batch([judge.request(None, conversation(-1 - i, f"warmup-{salt}")) for i in range(warmup)])
    warm_stats = dispatcher.stats.snapshot()
    dispatcher.stats.restart_peak()  # the column shows the timed step's peak, not the warm-up's
    chats = [conversation(i, salt) for i in range(args.n)]
    timeline = Timeline()
    end_gap = args.rollout_seconds / args.n
    futures = []
    cpu_start = time.process_time()
    step_start = time.perf_counter()

    # rollout phase: conversations end one by one
    for chat in chats:
        time.sleep(end_gap)
        if mode == "overlapped":
            timeline.submitted()
            future = judge.submit(None, chat)
            future.add_done_callback(timeline.answered)
            futures.append(future)

    # GPU phase
    time.sleep(args.gpu_seconds)

    # reward phase
    reward_start = time.perf_counter()
    if mode == "sequential":
        scores = []
        for chat in tqdm(chats, desc="sequential judge calls", unit="call", leave=False, disable=None):
            timeline.submitted()
            scores.append(judge.submit(None, chat).result())
            timeline.answered()
        waited = time.perf_counter() - reward_start
    elif mode == "batch":
        timeline.submitted()
        futures = dispatcher.submit_batch([judge.request(None, chat) for chat in chats])
        for f in futures:
            f.add_done_callback(timeline.answered)
        scores = [f.result() for f in futures]
        waited = time.perf_counter() - reward_start
    else:
        stats = RewardStats(dispatcher.stats)
        pending = [PendingConversationReward(RewardInfo(reward=0.0), quality=f) for f in futures]
        terms = [make_task_reward_fn(stats=stats), make_judge_fn()]  # the reward terms TRL awaits

        async def reward_call():  # as TRL awaits the async reward terms: together
            return await asyncio.gather(*(term(prompts=[None] * args.n, completions=[None] * args.n,
                                               reward_pending=pending) for term in terms))

        _, scores = asyncio.run(reward_call())
        waited = stats.last.waited_s
    step_total = time.perf_counter() - step_start
    cpu_ms = (time.process_time() - cpu_start) * 1000 / args.n

    final = dispatcher.stats.snapshot()
    dispatcher.close()
    judge_span = (timeline.last_answer or 0) - (timeline.first_submit or 0)
    return {
        "row": f"{mode}, {variant}" if variant else mode, "mode": mode, "variant": variant, "total_s": step_total,
        "waited_s": waited, "waited_share": waited / step_total,
        "throughput": args.n / judge_span if judge_span > 0 else math.inf, "cpu_ms": cpu_ms,
        "failures": final["failures"] - warm_stats["failures"], "peak_in_flight": final["peak_in_flight"],
        "mean_score": sum(scores) / len(scores),
    }


def start_relay(latency_s: float) -> tuple[subprocess.Popen, str]:
    """The relay in its own process, like a remote API: its CPU work does not share our GIL."""
    command = [sys.executable, "-m", "agentcl.relay", "--port", "0", "--latency-ms", str(latency_s * 1000.0)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    relay = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    line = relay.stdout.readline()  # "agentcl relay listening on http://127.0.0.1:PORT/v1"
    if "listening on" not in line:
        relay.kill()
        raise RuntimeError(f"the relay did not start: {line!r}")
    return relay, line.rsplit(" ", 1)[-1].strip()


def main(argv=None) -> int:
    args = parse_args(argv)
    limit = args.concurrency / args.latency if args.latency > 0 else math.inf
    waves = math.ceil(args.n / args.concurrency)
    ideal = args.n / (waves * args.latency) if args.latency > 0 else math.inf
    relay, base_url = start_relay(args.latency)
    print(f"judge overlap: N={args.n} conversations, L={args.latency:.2f} s, concurrency={args.concurrency}, "
          f"GPU phase {args.gpu_seconds:.1f} s, rollout phase {args.rollout_seconds:.1f} s, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"limit concurrency/L = {limit:.1f} req/s; with {waves} waves of requests the best possible is "
          f"{ideal:.1f} req/s ({ideal / limit:.0%} of the limit); API work {waves * args.latency:.1f} s "
          f"{'fits inside' if waves * args.latency <= args.gpu_seconds else 'does NOT fit inside'} the GPU phase\n")
    runs = [(mode, "") for mode in args.modes]
    if "batch" in args.modes:
        if args.cold_client:  # first: litellm shares its HTTP clients process-wide, later rows warm them
            runs.insert(0, ("batch", "cold client"))
        if args.lean_client:
            runs.append(("batch", "lean client"))
    results = []
    try:
        for mode, variant in runs:
            print(f"running {mode}{f' ({variant})' if variant else ''} ...", flush=True)
            results.append(run_mode(mode, args, base_url, variant))
    finally:
        relay.terminate()
        relay.wait(timeout=10)

    header = (f"{'mode':<19} {'step total s':>12} {'waited s':>9} {'waited %':>9} {'req/s':>8} {'vs limit':>9} "
              f"{'vs ideal':>9} {'CPU ms/req':>11} {'peak in flight':>15} {'failures':>9}")
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        print(f"{r['row']:<19} {r['total_s']:>12.2f} {r['waited_s']:>9.3f} {r['waited_share']:>9.1%} "
              f"{r['throughput']:>8.2f} {r['throughput'] / limit:>9.1%} {r['throughput'] / ideal:>9.1%} "
              f"{r['cpu_ms']:>11.2f} {r['peak_in_flight']:>15d} {r['failures']:>9d}")
    by_row = {r["row"]: r for r in results}
    if "overlapped" in by_row:
        for other in ("sequential", "batch"):
            if other in by_row:
                print(f"step time {other} / overlapped: {by_row[other]['total_s'] / by_row['overlapped']['total_s']:.2f}x")
    print()
    verdicts = []
    if "overlapped" in by_row and waves * args.latency <= args.gpu_seconds:
        share = by_row["overlapped"]["waited_share"]
        verdicts.append(("overlapped waits < 5% of the step", share < 0.05, f"{share:.2%}"))
    for row in ("batch", "batch, lean client"):
        if row in by_row:
            ratio = by_row[row]["throughput"] / limit
            verdicts.append((f"{row}: throughput >= 90% of concurrency/L", ratio >= 0.9, f"{ratio:.1%}"))
    for name, ok, value in verdicts:
        print(f"[{'PASS' if ok else 'FAIL'}] {name}: {value}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
