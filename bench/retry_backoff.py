#!/usr/bin/env python
"""Why the project keeps its own retry loop: the LLMClient's retries beside litellm Router's, one run.

    python bench/retry_backoff.py                 # 3 retries, 3 rounds
    python bench/retry_backoff.py --retries 6 --rounds 2

A local HTTP server answers every chat completion with 503 (an overloaded endpoint). One call is
made through each mechanism with the same retry budget, and the printout gives each call's wall
time, the requests the server saw, the gaps between attempts and the ratio of the mean times:

- LLMClient: agentcl.llm.client's own loop with the backoff a test or a run chooses
  (--backoff-base, default 0.01 s as the fault tests use; runs use 0.5 s);
- Router: litellm.Router with `num_retries` and a RetryPolicy retrying 5xx, the mechanism issue 11
  considered. Its backoff (litellm's INITIAL_RETRY_DELAY 0.5 s doubling to MAX_RETRY_DELAY 8 s,
  plus jitter) is a module constant read from the environment at import, so one setting for every
  client of the process, and it sleeps inside `Router.acompletion`, so a caller's concurrency slot
  stays taken while it waits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import litellm  # noqa: E402  (imported before any timing)
from litellm.types.router import RetryPolicy  # noqa: E402

from agentcl.llm.client import Endpoint, LLMClient  # noqa: E402
from agentcl.secrets import Secret  # noqa: E402

HITS: list[float] = []


class Overloaded(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        HITS.append(time.perf_counter())
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"error": {"message": "overloaded", "type": "server_error"}}'
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


MESSAGES = [{"role": "user", "content": "hello"}]


async def client_call(base: str, retries: int, backoff: float) -> None:
    client = LLMClient([Endpoint("openai/m", api_base=base, api_key=Secret("sk-bench"))], name="bench",
                       num_retries=retries, timeout_s=5.0, backoff_base_s=backoff, backoff_max_s=8.0)
    try:
        await client.complete(MESSAGES)
    except Exception:  # noqa: BLE001 - every attempt fails by design
        pass


async def router_call(base: str, retries: int, backoff: float) -> None:
    router = litellm.Router(model_list=[{"model_name": "g", "litellm_params": {
        "model": "openai/m", "api_base": base, "api_key": "sk-bench", "max_retries": 0}}],
        num_retries=retries, retry_policy=RetryPolicy(InternalServerErrorRetries=retries), timeout=5.0)
    try:
        await router.acompletion(model="g", messages=MESSAGES)
    except Exception:  # noqa: BLE001
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backoff-base", type=float, default=0.01, help="LLMClient's backoff_base_s")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Overloaded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/v1"
    times: dict[str, list[float]] = {"LLMClient": [], "Router": []}
    for _ in range(args.rounds):
        for name, call in (("LLMClient", client_call), ("Router", router_call)):
            HITS.clear()
            started = time.perf_counter()
            asyncio.run(call(base, args.retries, args.backoff_base))
            times[name].append(time.perf_counter() - started)
            gaps = ", ".join(f"{b - a:.2f}" for a, b in zip(HITS, HITS[1:]))
            print(f"{name:9s}: {times[name][-1]:6.2f} s, {len(HITS)} requests, gaps between attempts [{gaps}] s",
                  flush=True)
    server.shutdown()
    mean = {k: sum(v) / len(v) for k, v in times.items()}
    print(f"mean of {args.rounds}: LLMClient {mean['LLMClient']:.2f} s, Router {mean['Router']:.2f} s; "
          f"Router / LLMClient = {mean['Router'] / mean['LLMClient']:.1f}x")


if __name__ == "__main__":
    main()
