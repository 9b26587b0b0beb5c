"""A private event loop on a daemon thread, so synchronous code can run user-simulator coroutines.

The rollout engine is called synchronously (TRL calls rollout_func from the training loop), but
user simulators are async (litellm, aiohttp). One loop lives as long as the engine, so clients bound
to a loop (HTTP sessions) keep working across rollouts, and a user round can run on it while the
main thread runs the model's batched generate.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any, Coroutine


class AsyncRunner:
    def __init__(self, name: str = "agentcl-rollout-loop"):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future:
        if self._closed:
            coro.close()
            raise RuntimeError("the rollout event loop is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()
