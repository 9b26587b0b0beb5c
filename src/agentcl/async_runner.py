"""An event loop on a daemon thread, so synchronous code can run coroutines on it; and the
process's one loop for API calls.

The rollout engine is called synchronously (TRL calls rollout_func from the training loop), but
user simulators are async (litellm, aiohttp), and the judge dispatcher runs judge calls in the
background. Both use `api_loop()`: one loop per process for every API call. litellm keeps
process-wide state bound to the loop it first ran on (its logging worker); calls from two loops on
two threads make it hop between them, losing tasks ("Task was destroyed but it is pending",
"cannot reuse already awaited coroutine"). One loop also keeps HTTP sessions valid across
rollouts, evaluations and stages. User and judge calls run on it while the main thread runs the
model.

`AsyncRunner.close()` stops a loop and then, on its own thread: cancels the tasks still pending
(client libraries leave some, e.g. litellm's logging worker), finishes async generators and the
default executor, and closes the loop. The API loop is closed at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from concurrent.futures import Future
from typing import Any, Coroutine


class AsyncRunner:
    def __init__(self, name: str = "agentcl-loop"):
        self._loop = asyncio.new_event_loop()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def closed(self) -> bool:
        return self._closed

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._finish()

    def _finish(self) -> None:
        loop = self._loop
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future:
        if self._closed:
            coro.close()
            raise RuntimeError(f"the event loop {self._thread.name} is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        return self.submit(coro).result(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        if self._closed:
            return
        self._closed = True
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=timeout)


_api_loop: AsyncRunner | None = None
_api_loop_lock = threading.Lock()


def api_loop() -> AsyncRunner:
    """The process's loop for API calls (user simulators, judges): started on first use, closed at exit."""
    global _api_loop
    with _api_loop_lock:
        if _api_loop is None or _api_loop.closed:
            _api_loop = AsyncRunner("agentcl-api-loop")
            atexit.register(_api_loop.close)
        return _api_loop
