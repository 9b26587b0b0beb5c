"""The judge dispatcher: judge calls run in the background while training goes on.

The judge calls run on the process's API loop, a daemon thread (agentcl.async_runner).
`submit(request)` returns a `concurrent.futures.Future` at once, from any thread; the rollout
engine submits the moment a conversation ends and the reward function collects the futures
later, so API latency overlaps the GPU work in between.

Per request, in order:
1. cache (memory, then the SQLite store): a hit resolves the future before `submit` returns;
2. an identical request already in flight: share its answer (counted as a cache hit);
3. one call through `complete` under a semaphore of `max_concurrency`, bounded by
   `attempt_timeout_s`. Transport retries (429, 5xx, timeouts) are the client's: the shared
   LLMClient (agentcl.llm.client, the project's one retry loop) retries and reports the attempts,
   and the extra ones are counted here as retries. The dispatcher itself never retries a failed call;
4. parse the answer; an unparseable answer is asked again `parse_retries` times;
5. on final failure, the request's fallback value: counted, logged (rate-limited), never raised.
Only parsed answers are cached.

`close()` stops new submissions, lets the calls in flight finish (up to a timeout), resolves any
left with their fallback and closes the client: no future is ever left pending. The loop is the
process's API loop (agentcl.async_runner), shared with the user simulators.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from ...async_runner import api_loop
from ...llm.usage import add_usage, current_bucket
from ...secrets import redact
from .cache import JudgeCache, cache_key
from .parsing import JudgeParseError

log = logging.getLogger(__name__)
T = TypeVar("T")


class CompletionFn(Protocol):
    """`await complete(messages, **params)` -> the answer text, or an object with `.content` (and
    optionally `.attempts`, the requests it took: the shared LLMClient's `Completion`). Raises on failure."""

    def __call__(self, messages: list[dict[str, Any]], **params: Any) -> Awaitable[Any]: ...


@dataclass
class JudgeRequest(Generic[T]):
    """One judge call: the prompt, how to read the answer, and what to use if it fails."""

    messages: list[dict[str, Any]]
    parse: Callable[[str], T]
    fallback: Callable[[str], T]  # given the reason for failing
    params: dict[str, Any] = field(default_factory=dict)  # sampling params, part of the cache key
    kind: str = "judge"  # for logs
    use_cache: bool = True
    # where the answer's API usage goes (a conversation's judge bucket); default: the bucket of
    # agentcl.llm.usage.charged_to(...) around submit(), if any
    usage_bucket: dict[str, float] | None = None


class JudgeStats:
    """Cumulative counters (thread-safe). `snapshot()` for logging; subtract two for a step."""

    FIELDS = ("requests", "cache_hits", "calls", "call_errors", "retries", "parse_errors", "failures", "completed",
              "call_seconds")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, float] = dict.fromkeys(self.FIELDS, 0)
        self.in_flight = 0
        self.peak_in_flight = 0

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def enter_call(self) -> None:
        with self._lock:
            self._values["calls"] += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def leave_call(self, seconds: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self._values["call_seconds"] += seconds

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {**self._values, "in_flight": self.in_flight, "peak_in_flight": self.peak_in_flight}

    def restart_peak(self) -> None:
        """Measure `peak_in_flight` from now on (e.g. after a warm-up)."""
        with self._lock:
            self.peak_in_flight = self.in_flight

    def __getattr__(self, name: str) -> float:
        if name in JudgeStats.FIELDS:
            with self._lock:
                return self._values[name]
        raise AttributeError(name)


def _set_result(future: concurrent.futures.Future, value: Any) -> None:
    if not future.done():
        try:
            future.set_result(value)
        except concurrent.futures.InvalidStateError:  # cancelled by its owner meanwhile
            pass


class DispatcherClosedError(RuntimeError):
    pass


class JudgeDispatcher:
    """Runs judge requests concurrently on a background loop; see the module docstring."""

    def __init__(
        self,
        complete: CompletionFn,
        *,
        model: str,
        max_concurrency: int = 32,
        cache: JudgeCache | None = None,
        parse_retries: int = 1,
        attempt_timeout_s: float | None = None,
        name: str = "judge",
        log_failures: int = 5,
    ):
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if parse_retries < 0:
            raise ValueError(f"parse_retries must be >= 0, got {parse_retries}")
        self._complete = complete
        self.model = model  # part of every cache key
        self.max_concurrency = max_concurrency
        self.cache = cache if cache is not None else JudgeCache(None)
        self.parse_retries = parse_retries
        self.attempt_timeout_s = attempt_timeout_s
        self.name = name
        self.stats = JudgeStats()
        self._log_failures = log_failures
        self._closed = False
        self._submit_lock = threading.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._inflight: dict[str, asyncio.Future[str]] = {}
        self._semaphore = asyncio.Semaphore(max_concurrency)  # binds to the loop at first use
        self._runner = api_loop()  # shared with the user simulators: litellm wants one loop per process
        self._loop = self._runner.loop
        self._thread = self._runner.thread

    def _start(self, request: JudgeRequest, key: str | None, future: concurrent.futures.Future) -> None:
        task = self._loop.create_task(self._run(request, key, future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, request: JudgeRequest, key: str | None, future: concurrent.futures.Future) -> None:
        try:
            value = await self._resolve(request, key)
            self.stats.add("completed")
        except asyncio.CancelledError:
            value = self._fail(request, "cancelled at dispatcher shutdown")
        except Exception as exc:  # never raise into training: fall back and count it
            value = self._fail(request, f"{type(exc).__name__}: {exc}")
        _set_result(future, value)

    def _fail(self, request: JudgeRequest, reason: str) -> Any:
        reason = redact(reason)
        self.stats.add("failures")
        self.stats.add("completed")
        failures = self.stats.failures
        if failures <= self._log_failures or failures % 100 == 0:
            log.warning("%s judge request (%s) failed, using the fallback score [failure %d]: %s",
                        self.name, request.kind, failures, reason[:300])
        try:
            return request.fallback(reason)
        except Exception:  # a broken fallback is a programming error worth seeing, but not a crash
            log.exception("%s judge fallback raised", self.name)
            return None

    def _from_cache(self, request: JudgeRequest[T], key: str | None) -> tuple[T] | None:
        """(parsed cached answer,) on a hit, counted; None on a miss."""
        cached = self.cache.get(key) if key else None
        if cached is None:
            return None
        try:
            value = request.parse(cached)
        except JudgeParseError:
            self.cache.discard(key)  # stored by older parsing rules: ask again
            return None
        self.stats.add("cache_hits")
        return (value,)

    async def _resolve(self, request: JudgeRequest[T], key: str | None) -> T:
        shared = self._inflight.get(key) if key else None
        if shared is not None:
            self.stats.add("cache_hits")
            return request.parse(await asyncio.shield(shared))
        hit = self._from_cache(request, key)  # an identical request may have finished since submit
        if hit is not None:
            return hit[0]
        owner: asyncio.Future[str] | None = None
        if key:
            owner = self._loop.create_future()
            self._inflight[key] = owner
        try:
            text, value = await self._call_and_parse(request)
            if key:
                self.cache.put(key, self.model, text)
            if owner is not None:
                owner.set_result(text)
            return value
        except BaseException as exc:
            if owner is not None and not owner.done():
                owner.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
                owner.exception()  # mark retrieved: followers may not exist
            raise
        finally:
            if key and self._inflight.get(key) is owner:
                del self._inflight[key]

    async def _call_and_parse(self, request: JudgeRequest[T]) -> tuple[str, T]:
        error: Exception | None = None
        for _ in range(1 + self.parse_retries):
            text = await self._call(request)
            try:
                return text, request.parse(text)
            except JudgeParseError as exc:
                self.stats.add("parse_errors")
                error = exc
        assert error is not None
        raise error

    async def _call(self, request: JudgeRequest) -> str:
        async with self._semaphore:
            self.stats.enter_call()
            started = time.perf_counter()
            try:
                call = self._complete(request.messages, **request.params)
                if self.attempt_timeout_s:
                    answer = await asyncio.wait_for(call, self.attempt_timeout_s)
                else:
                    answer = await call
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.add("call_errors")
                raise
            finally:
                self.stats.leave_call(time.perf_counter() - started)
        if isinstance(answer, str):
            return answer
        if request.usage_bucket is not None:  # on the dispatcher's loop, before the future resolves
            add_usage(request.usage_bucket, getattr(answer, "usage", None))
        attempts = getattr(answer, "attempts", 1)
        if isinstance(attempts, int) and attempts > 1:
            self.stats.add("retries", attempts - 1)  # the client's own retries
        return getattr(answer, "content", None) or ""

    # -- public API (any thread) ---------------------------------------------------------------
    def submit(self, request: JudgeRequest[T]) -> concurrent.futures.Future[T]:
        """Queue one request; the future resolves to the parsed answer or the fallback."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if request.usage_bucket is None:
            request.usage_bucket = current_bucket()
        self.stats.add("requests")
        key = cache_key(self.model, request.messages, request.params) if request.use_cache else None
        hit = self._from_cache(request, key)
        if hit is not None:
            self.stats.add("completed")
            future.set_result(hit[0])
            return future
        with self._submit_lock:
            if self._closed:
                raise DispatcherClosedError(f"{self.name} dispatcher is closed")
            self._loop.call_soon_threadsafe(self._start, request, key, future)
        return future

    def submit_batch(self, requests: Sequence[JudgeRequest[T]]) -> list[concurrent.futures.Future[T]]:
        return [self.submit(r) for r in requests]

    def run_batch(self, requests: Sequence[JudgeRequest[T]], timeout: float | None = None) -> list[T]:
        """Submit all and block until all are answered (do not call from the dispatcher's loop)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("run_batch would deadlock on the dispatcher's own loop; use gather")
        return [f.result(timeout) for f in self.submit_batch(requests)]

    async def gather(self, requests: Sequence[JudgeRequest[T]]) -> list[T]:
        """Submit all and await the answers from any event loop."""
        return list(await asyncio.gather(*(asyncio.wrap_future(f) for f in self.submit_batch(requests))))

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def close(self, timeout: float | None = 60.0) -> None:
        """Finish what is in flight (up to `timeout` s), fall back on the rest, stop the loop."""
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
        if not self._runner.closed:  # (at interpreter exit the loop may be gone: nothing left to run)
            self._runner.run(self._drain(timeout))
            self._runner.run(self._close_client())
        self.cache.close()

    async def _close_client(self) -> None:
        aclose = getattr(self._complete, "aclose", None)
        if callable(aclose):
            try:
                await aclose()
            except Exception as exc:  # closing a client must not hide the real shutdown
                log.debug("closing the judge client failed: %s", exc)

    async def _drain(self, timeout: float | None) -> None:
        await asyncio.sleep(0)  # let `_start` callbacks queued before close create their tasks
        tasks = set(self._tasks)
        if not tasks:
            return
        _, still_running = await asyncio.wait(tasks, timeout=timeout)
        for task in still_running:
            task.cancel()  # `_run` resolves its future with the fallback
        if still_running:
            await asyncio.wait(still_running)

    def __enter__(self) -> "JudgeDispatcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
