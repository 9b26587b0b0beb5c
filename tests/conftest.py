"""Shared fixtures: the local relay (in-process or as `python -m agentcl.relay`), a dead endpoint.

    def test_x(relay_server):
        relay = relay_server(rate_429=0.3, latency_ms=5, api_key="k")   # FaultConfig fields + api_key
        relay.base_url          # "http://127.0.0.1:PORT/v1", what litellm wants as api_base
        relay.stats()           # {"total", "in_flight", "max_in_flight", "by_status", "by_fault", "by_model"}

Every relay a test starts is stopped at its end.

Order: the files holding `slow` tests run first (collection order otherwise). `scripts/test.sh`
spreads the suite over two processes, one file at a time each (pytest-xdist `--dist loadfile`);
starting the long files first keeps one process from being left with a long file at the end.
Under xdist each worker computes on one thread (OMP_NUM_THREADS=1, also for what it launches).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# offline everywhere: litellm must not fetch its price map, transformers must not reach the hub
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# under pytest-xdist each worker (and what it launches) computes on one thread: two workers on two
# cores, instead of four torch threads fighting over them (set before anything imports torch)
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    """Files with a `slow` test first (a stable sort: the order inside and among files is kept)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture
def relay_server():
    """Factory: start an in-process relay with the given faults (FaultConfig fields) and bearer key."""
    from agentcl.relay import FaultConfig, RelayServer

    started = []

    def start(api_key: str | None = None, max_user_turns: int | None = None, **faults) -> RelayServer:
        kwargs = {"max_user_turns": max_user_turns} if max_user_turns else {}
        server = RelayServer(FaultConfig(**faults), api_key=api_key, **kwargs)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class RelayProcess:
    process: subprocess.Popen
    base_url: str

    @property
    def root_url(self) -> str:
        return self.base_url.rsplit("/v1", 1)[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_relay_process(*args: str, env: dict | None = None, timeout_s: float = 60.0) -> RelayProcess:
    """Run `python -m agentcl.relay --port 0 ARGS` and wait for its "listening on URL" line."""
    proc = subprocess.Popen([sys.executable, "-m", "agentcl.relay", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})}, cwd=REPO_ROOT)
    deadline = time.monotonic() + timeout_s
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return RelayProcess(proc, match.group(1))
    proc.kill()
    raise RuntimeError("the relay did not start:\n" + "".join(lines))


@pytest.fixture
def relay_process():
    """Factory: start `python -m agentcl.relay` with extra CLI args; stopped at the end of the test."""
    started = []

    def start(*args: str, env: dict | None = None) -> RelayProcess:
        relay = start_relay_process(*args, env=env)
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


@pytest.fixture
def dead_endpoint_url():
    """An OpenAI-style base URL on a local port where nothing listens (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"
