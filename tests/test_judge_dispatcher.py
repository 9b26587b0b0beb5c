"""The judge dispatcher's core with an in-process completion function (no network).

`GatedModel` is a small async model stand-in: it answers with a fixed text, counts calls and
in-flight calls, and can hold every call at a gate so concurrency is checked without timing.
The same properties over real HTTP are in test_judge_relay.py.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from agentcl.rewards.judge.dispatcher import DispatcherClosedError, JudgeDispatcher, JudgeRequest
from agentcl.rewards.judge.cache import JudgeCache, cache_key, default_cache_dir
from agentcl.rewards.judge.parsing import JudgeParseError, parse_quality_score


class CallError(RuntimeError):
    """An HTTP-style failure, as the client raises it once its own retries are spent."""

    def __init__(self, message, status_code):
        super().__init__(message)
        self.status_code = status_code


class GatedModel:
    def __init__(self, answer: str = '{"score": 0.8}', *, gated: bool = False, fail_first: int = 0,
                 error: Exception | None = None, answers: list[str] | None = None):
        self.answer, self.answers = answer, list(answers or [])
        self.fail_first, self.error = fail_first, error
        self.calls = self.in_flight = self.peak = 0
        self.lock = threading.Lock()
        self.gate = threading.Event()
        if not gated:
            self.gate.set()

    async def __call__(self, messages, **params):
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            call = self.calls
        try:
            while not self.gate.is_set():
                await asyncio.sleep(0.005)
            if self.error is not None and call <= self.fail_first:
                raise self.error
            return self.answers.pop(0) if self.answers else self.answer
        finally:
            with self.lock:
                self.in_flight -= 1


def quality_request(i: int, **kwargs) -> JudgeRequest[float]:
    return JudgeRequest(messages=[{"role": "user", "content": f"conversation {i}"}],
                        parse=lambda text: parse_quality_score(text)[0],
                        fallback=lambda reason: -1.0, kind="quality", **kwargs)


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_submit_returns_at_once_and_concurrency_stays_at_the_cap():
    model = GatedModel(gated=True)
    with JudgeDispatcher(model, model="m", max_concurrency=3) as dispatcher:
        futures = dispatcher.submit_batch([quality_request(i) for i in range(10)])
        assert not any(f.done() for f in futures)  # nothing answered yet: submit did not wait
        assert wait_until(lambda: model.in_flight == 3)
        time.sleep(0.05)  # give a 4th call every chance to start; it must not
        assert model.in_flight == 3 and model.calls == 3
        model.gate.set()
        assert [f.result(10) for f in futures] == [0.8] * 10
    assert model.peak == 3 and dispatcher.stats.peak_in_flight == 3
    stats = dispatcher.stats.snapshot()
    assert stats["requests"] == 10 and stats["calls"] == 10 and stats["failures"] == 0


def test_identical_requests_are_answered_once_in_flight_and_then_from_the_cache():
    model = GatedModel(gated=True)
    with JudgeDispatcher(model, model="m", max_concurrency=4) as dispatcher:
        first = dispatcher.submit_batch([quality_request(1) for _ in range(5)])
        assert wait_until(lambda: model.calls == 1)
        model.gate.set()
        assert [f.result(10) for f in first] == [0.8] * 5
        again = dispatcher.submit(quality_request(1))
        assert again.done() and again.result() == 0.8  # a memory hit resolves before submit returns
        uncached = dispatcher.submit(quality_request(1, use_cache=False)).result(10)
    assert uncached == 0.8
    assert model.calls == 2
    assert dispatcher.stats.cache_hits == 5  # 4 shared the in-flight answer, 1 from memory


def test_the_disk_cache_makes_a_resumed_run_pay_nothing(tmp_path):
    model = GatedModel()
    with JudgeDispatcher(model, model="m", cache=JudgeCache(tmp_path)) as dispatcher:
        dispatcher.run_batch([quality_request(i) for i in range(6)])
    assert model.calls == 6
    resumed_model = GatedModel(answer="never asked")
    with JudgeDispatcher(resumed_model, model="m", cache=JudgeCache(tmp_path)) as resumed:
        assert resumed.run_batch([quality_request(i) for i in range(6)]) == [0.8] * 6
        assert resumed.stats.cache_hits == 6
    assert resumed_model.calls == 0
    # another judge model does not see these answers
    other = GatedModel(answer='{"score": 0.1}')
    with JudgeDispatcher(other, model="another-model", cache=JudgeCache(tmp_path)) as d:
        assert d.run_batch([quality_request(0)]) == [0.1]


def test_cache_keys_depend_on_model_messages_and_params(tmp_path):
    messages = [{"role": "user", "content": "x"}]
    key = cache_key("m", messages, {"temperature": 0})
    assert key == cache_key("m", [{"content": "x", "role": "user"}], {"temperature": 0})
    assert len({key, cache_key("n", messages, {"temperature": 0}), cache_key("m", messages, {"temperature": 1}),
                cache_key("m", [{"role": "user", "content": "y"}], {"temperature": 0})}) == 4
    cache = JudgeCache(tmp_path)
    cache.put(key, "m", "answer")
    assert len(cache) == 1 and cache.prune(older_than_s=-1) == 1 and cache.get(key) is None
    cache.close()
    small = JudgeCache(None, memory_entries=2)  # memory only: the least recently used answer goes
    for name in ("a", "b"):
        small.put(name, "m", name.upper())
    assert small.get("a") == "A"
    small.put("c", "m", "C")
    assert (small.get("a"), small.get("b"), small.get("c")) == ("A", None, "C")


class RetriedAnswer:
    """What the shared LLMClient returns: the text and the attempts its retry loop made."""

    def __init__(self, content: str, attempts: int):
        self.content, self.attempts = content, attempts


def test_retries_are_the_clients_the_dispatcher_counts_them_and_never_retries_itself():
    async def answered_on_the_third_attempt(messages, **params):
        return RetriedAnswer('{"score": 0.7}', attempts=3)

    with JudgeDispatcher(answered_on_the_third_attempt, model="m") as dispatcher:
        assert dispatcher.submit(quality_request(0)).result(10) == 0.7
        assert dispatcher.stats.retries == 2 and dispatcher.stats.failures == 0
    spent = GatedModel(fail_first=99, error=CallError("429 after the client's retries", status_code=429))
    with JudgeDispatcher(spent, model="m") as dispatcher:
        assert dispatcher.submit(quality_request(0)).result(10) == -1.0  # the fallback
        assert spent.calls == 1 and dispatcher.stats.failures == 1 and dispatcher.stats.retries == 0


def test_a_judge_that_always_fails_yields_the_fallback_and_a_counter(caplog):
    broken = GatedModel(fail_first=10**6, error=CallError("500", status_code=500))
    with JudgeDispatcher(broken, model="m") as dispatcher:
        results = dispatcher.run_batch([quality_request(i) for i in range(8)], timeout=30)
    assert results == [-1.0] * 8
    stats = dispatcher.stats.snapshot()
    assert stats["failures"] == 8 and stats["calls"] == 8 and stats["call_errors"] == 8
    assert "fallback" in caplog.text


def test_unparseable_answers_are_asked_again_then_fall_back():
    model = GatedModel(answers=["I think it was fine.", '{"score": 0.6}'])
    with JudgeDispatcher(model, model="m", parse_retries=1) as dispatcher:
        assert dispatcher.submit(quality_request(0)).result(10) == 0.6
        assert dispatcher.stats.parse_errors == 1
    hopeless = GatedModel(answer="no numbers here")
    with JudgeDispatcher(hopeless, model="m", parse_retries=1) as dispatcher:
        assert dispatcher.submit(quality_request(0)).result(10) == -1.0
        assert hopeless.calls == 2 and dispatcher.stats.failures == 1
        # a failed answer is never cached
        assert dispatcher.cache.get(cache_key("m", quality_request(0).messages, {})) is None


def test_a_hanging_call_is_bounded_by_the_attempt_timeout():
    hanging = GatedModel(gated=True)
    with JudgeDispatcher(hanging, model="m", attempt_timeout_s=0.05) as d:
        assert d.submit(quality_request(0)).result(10) == -1.0
        assert d.stats.failures == 1 and d.stats.call_errors == 1
    hanging.gate.set()


def test_close_finishes_in_flight_work_and_then_refuses_new_requests():
    model = GatedModel(gated=True)
    dispatcher = JudgeDispatcher(model, model="m", max_concurrency=2)
    futures = dispatcher.submit_batch([quality_request(i) for i in range(6)])
    threading.Timer(0.1, model.gate.set).start()
    dispatcher.close(timeout=30)
    assert all(f.done() for f in futures) and [f.result() for f in futures] == [0.8] * 6
    assert dispatcher.pending == 0
    with pytest.raises(DispatcherClosedError):
        dispatcher.submit(quality_request(99))


def test_close_with_a_timeout_resolves_what_is_left_with_the_fallback():
    model = GatedModel(gated=True)
    dispatcher = JudgeDispatcher(model, model="m", max_concurrency=2)
    futures = dispatcher.submit_batch([quality_request(i) for i in range(5)])
    dispatcher.close(timeout=0.05)
    assert [f.result(0) for f in futures] == [-1.0] * 5  # none lost, none left pending
    assert dispatcher.stats.failures == 5 and dispatcher.pending == 0
    model.gate.set()


def test_gather_from_another_event_loop_and_bad_arguments():
    with JudgeDispatcher(GatedModel(), model="m") as dispatcher:
        assert asyncio.run(dispatcher.gather([quality_request(i) for i in range(3)])) == [0.8] * 3
    with pytest.raises(ValueError):
        JudgeDispatcher(GatedModel(), model="m", max_concurrency=0)


def test_a_parse_function_that_raises_something_else_still_falls_back():
    def bad_parse(text):
        raise KeyError("bug in a parser")

    with JudgeDispatcher(GatedModel(), model="m") as dispatcher:
        request = JudgeRequest(messages=[{"role": "user", "content": "x"}], parse=bad_parse,
                               fallback=lambda reason: reason)
        assert "KeyError" in dispatcher.submit(request).result(10)
    assert issubclass(JudgeParseError, ValueError)


def _open_put_close(directory, barrier, results, rank):
    barrier.wait()  # every process opens the fresh store at the same moment
    try:
        cache = JudgeCache(directory)
        cache.put(f"key-{rank}", "m", f"answer-{rank}")
        cache.close()
        results.put("ok")
    except Exception as exc:  # reported to the test, which shows it
        results.put(repr(exc))


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path):
    """Training ranks share <output_dir>/judge_cache and open it together: setting up a new file
    (switching it to WAL) must wait for the other process, not fail with "database is locked".
    Real processes; before the fix about a quarter of the opens failed."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    processes_per_round, rounds = 4, 12
    for round_index in range(rounds):
        directory = tmp_path / f"store{round_index}"
        barrier, results = context.Barrier(processes_per_round), context.Queue()
        workers = [context.Process(target=_open_put_close, args=(directory, barrier, results, rank))
                   for rank in range(processes_per_round)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert outcomes == ["ok"] * processes_per_round, outcomes
        store = JudgeCache(directory)
        assert len(store) == processes_per_round
        store.close()


def test_a_store_that_cannot_be_opened_leaves_a_working_memory_cache(tmp_path, caplog):
    (tmp_path / "judge_cache.sqlite3").mkdir()  # where the database file should be, a folder
    with caplog.at_level("WARNING", logger="agentcl.rewards.judge.cache"):
        cache = JudgeCache(tmp_path)
    assert not cache.persistent and cache.path is None
    assert "cached in memory only" in caplog.text and str(tmp_path) in caplog.text
    cache.put("k", "m", "answer")
    assert cache.get("k") == "answer" and len(cache) == 1
    model = GatedModel()
    with JudgeDispatcher(model, model="m", cache=cache) as dispatcher:  # the judge itself is unaffected
        assert dispatcher.run_batch([quality_request(0), quality_request(0)]) == [0.8, 0.8]
    assert model.calls == 1


def test_the_default_store_is_per_machine_only_in_multi_node_runs(tmp_path, monkeypatch):
    for name in ("WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert default_cache_dir(tmp_path) == tmp_path / "judge_cache"  # one process
    monkeypatch.setenv("WORLD_SIZE", "8")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")
    assert default_cache_dir(tmp_path) == tmp_path / "judge_cache"  # one machine: its processes share one store
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    monkeypatch.setenv("GROUP_RANK", "1")
    assert default_cache_dir(tmp_path) == tmp_path / "judge_cache" / "node1"  # second of two machines


class AnswerArrivesAfterSubmitLooked(JudgeCache):
    """The first lookup misses (made at submit); the answer is there by the time the request runs,
    as when an identical request finishes in between."""

    def __init__(self):
        super().__init__(None)
        self.lookups = 0

    def get(self, key):
        self.lookups += 1
        return None if self.lookups == 1 else super().get(key)


def test_an_answer_cached_after_submit_is_used_when_the_request_runs():
    cache = AnswerArrivesAfterSubmitLooked()
    request = quality_request(0)
    cache.put(cache_key("m", request.messages, request.params), "m", '{"score": 0.3}')
    model = GatedModel()
    with JudgeDispatcher(model, model="m", cache=cache) as dispatcher:
        assert dispatcher.submit(request).result(10) == 0.3
        assert dispatcher.stats.cache_hits == 1
    assert model.calls == 0 and cache.lookups == 2
