#!/usr/bin/env python
"""Concurrent vs sequential user turns: the wall-time ratio, side by side, in one run.

    python bench/user_turns.py                                   # N = 8 16 32 64, cap 32, L = 200 ms
    python bench/user_turns.py --n 16 64 --max-concurrency 16 --latency-ms 100

The local relay runs in its own process (`python -m agentcl.relay`) and answers every request as
the scripted user after a fixed latency L. For each N, the same N user turns (N mock-domain
conversations waiting for the user's first message) go through `openai_user_simulator` (real HTTP
through litellm) twice:

- sequential: one `respond()` after another;
- concurrent: one `respond_batch()`, at most --max-concurrency requests in flight.

Printed per N: both wall times, their ratio, and the ideal ratio N / ceil(N / cap) (the number of
turns that can be in flight at once, when latency dominates). The relay's own count of the most
requests it ever had in flight is printed as a check on the cap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def start_relay(latency_ms: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "agentcl.relay", "--port", "0", "--latency-ms", str(latency_ms)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")})
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the relay did not start: {line}{proc.stdout.read()}")
    return proc, match.group(1)


def relay_stats(base_url: str, reset: bool = False) -> dict:
    root = base_url.rsplit("/v1", 1)[0]
    request = urllib.request.Request(f"{root}/stats/reset" if reset else f"{root}/stats",
                                     data=b"{}" if reset else None, method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[8, 16, 32, 64], help="user turns per measurement")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="fixed relay latency per request")
    parser.add_argument("--max-concurrency", type=int, default=32, help="the simulator's concurrency cap")
    args = parser.parse_args()

    from agentcl.data_model import Message
    from agentcl.registry import load_domain
    from agentcl.users import UserConversation, UserSimulatorConfig, make_user_simulator

    mock = load_domain("mock")
    proc, base_url = start_relay(args.latency_ms)
    try:
        simulator = make_user_simulator(UserSimulatorConfig(
            user_type="openai_user_simulator", api_base=[base_url], model="scripted-user",
            max_concurrency=args.max_concurrency, num_retries=2))
        greeting = [Message(role="assistant", content="Hi! How can I help you today?")]

        def conversations(n: int) -> list[UserConversation]:
            return [UserConversation(mock.tasks[i % len(mock.tasks)], "mock", list(greeting), None, f"c{i}")
                    for i in range(n)]

        async def sequential(n: int) -> float:
            start = time.perf_counter()
            for conv in conversations(n):
                await simulator.respond(conv)
            return time.perf_counter() - start

        async def concurrent(n: int) -> tuple[float, float]:
            start, cpu = time.perf_counter(), time.process_time()
            turns = await simulator.respond_batch(conversations(n))
            assert len(turns) == n and all(t.message.content for t in turns)
            return time.perf_counter() - start, time.process_time() - cpu

        asyncio.run(concurrent(4))  # warm up: litellm import, client set-up, connections
        print(f"relay latency {args.latency_ms:.0f} ms, concurrency cap {args.max_concurrency}, "
              f"openai_user_simulator -> litellm -> HTTP -> python -m agentcl.relay")
        print(f"{'N':>5} {'sequential s':>13} {'concurrent s':>13} {'ratio':>7} {'ideal':>7} {'max in flight':>14}"
              f" {'client CPU ms/turn':>19}")
        for n in args.n:
            seq = asyncio.run(sequential(n))
            relay_stats(base_url, reset=True)
            conc, cpu = asyncio.run(concurrent(n))
            in_flight = relay_stats(base_url)["max_in_flight"]
            ideal = n / math.ceil(n / args.max_concurrency)
            print(f"{n:>5} {seq:>13.2f} {conc:>13.2f} {seq / conc:>6.1f}x {ideal:>6.1f}x {in_flight:>14}"
                  f" {1000 * cpu / n:>19.1f}")
        print("The concurrent time is at least the relay latency per wave plus the client's CPU per turn x N "
              "(one event loop): the ratio nears the ideal when latency dominates.")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
