"""The LLM judges over real HTTP: litellm -> the local relay -> the offline judge, with injected faults.

The relay counts requests, in-flight requests and the most ever in flight, and draws its faults
(429, 500, hangs, malformed bodies) from a seeded generator; with one request at a time the draws,
and so these tests, are deterministic.
"""

from __future__ import annotations

import time

import pytest

from agentcl.data_model import Message
from agentcl.relay import FaultConfig, RelayServer
from agentcl.relay.faults import FaultInjector
from agentcl.rewards.judge.dispatcher import JudgeDispatcher
from agentcl.rewards.judge.cache import JudgeCache
from agentcl.rewards.judge.client import relay_judge_client
from agentcl.rewards.judge.judges import LLMAssertionJudge, LLMQualityJudge

RELAY_KEY = "relay-test-key-0123456789"


@pytest.fixture(scope="module")
def relay():
    server = RelayServer(api_key=RELAY_KEY)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_relay(relay):
    """The shared relay with no faults and zeroed counters (a test sets the faults it needs)."""
    relay.app.faults = FaultInjector(FaultConfig())
    relay.reset_stats()
    return relay


def set_faults(relay, **faults) -> None:
    relay.app.faults = FaultInjector(FaultConfig(**faults))


def make_dispatcher(relay, *, timeout_s=10.0, num_retries=3, max_concurrency=32, **kwargs) -> JudgeDispatcher:
    """The dispatcher over the shared LLMClient, which does the HTTP retries and timeouts."""
    client = relay_judge_client(relay.base_url, api_key=RELAY_KEY, max_concurrency=max_concurrency,
                                num_retries=num_retries, timeout_s=timeout_s, backoff_base_s=0.02)
    return JudgeDispatcher(client.complete, model="judge", max_concurrency=max_concurrency, **kwargs)


def chat(i: int, agent_text: str = "Your refund of $54.04 is on its way.") -> list[Message]:
    return [Message(role="user", content=f"Hi, about order #{i}: I want a refund."),
            Message(role="assistant", content=agent_text),
            Message(role="user", content="Thanks. ###STOP###")]


ASSERTIONS = ["Agent should tell the user the refund is $54.04.", "Agent should tell the user the order shipped."]


def test_assertion_and_quality_judges_answer_over_http(fresh_relay):
    with make_dispatcher(fresh_relay) as dispatcher:
        checks = LLMAssertionJudge(dispatcher).submit(None, chat(0), ASSERTIONS).result(30)
        score = LLMQualityJudge(dispatcher).submit(None, chat(0)).result(30)
    assert [c.name for c in checks] == ASSERTIONS
    assert [c.met for c in checks] == [True, False] and all(c.detail for c in checks)
    assert 0.0 <= score <= 1.0
    assert fresh_relay.stats()["by_model"] == {"judge": 2}


def test_concurrency_never_exceeds_the_cap(fresh_relay):
    set_faults(fresh_relay, latency_ms=300)
    with make_dispatcher(fresh_relay, max_concurrency=4) as dispatcher:
        judge = LLMQualityJudge(dispatcher)
        futures = [judge.submit(None, chat(i)) for i in range(16)]
        assert all(0 <= f.result(60) <= 1 for f in futures)
    stats = fresh_relay.stats()
    assert stats["total"] == 16
    assert stats["max_in_flight"] == 4  # the cap, reached and never passed


def test_identical_requests_hit_the_cache(fresh_relay, tmp_path):
    with make_dispatcher(fresh_relay, cache=JudgeCache(tmp_path)) as dispatcher:
        judge = LLMAssertionJudge(dispatcher)
        first = [judge.submit(None, chat(i), ASSERTIONS) for i in range(3)]
        first = [f.result(30) for f in first]
        again = [judge.submit(None, chat(i), ASSERTIONS).result(30) for i in range(3)]
        assert again == first
        assert dispatcher.stats.cache_hits == 3
    assert fresh_relay.stats()["total"] == 3
    with make_dispatcher(fresh_relay, cache=JudgeCache(tmp_path)) as resumed:  # a resumed run
        assert [LLMAssertionJudge(resumed).submit(None, chat(i), ASSERTIONS).result(30) for i in range(3)] == first
    assert fresh_relay.stats()["total"] == 3


FAULT_NAMES = {("rate_429",): ["rate_limit"], ("rate_500",): ["server_error"], ("rate_malformed",): ["malformed"],
               ("hang_s", "rate_429", "rate_500", "rate_timeout"): ["rate_limit", "server_error", "timeout"]}


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    return predicate()


@pytest.mark.parametrize("faults", [
    {"rate_429": 0.5},
    {"rate_500": 0.5},
    {"rate_malformed": 0.5},
    {"rate_429": 0.2, "rate_500": 0.2, "rate_timeout": 0.2, "hang_s": 1.0},
], ids=["429", "500", "malformed", "mixed-with-timeouts"])
def test_injected_faults_are_retried(fresh_relay, faults):
    set_faults(fresh_relay, seed=3, **faults)
    # one at a time so the relay's seeded draws happen in a fixed order
    with make_dispatcher(fresh_relay, max_concurrency=1, num_retries=6, timeout_s=0.3) as dispatcher:
        judge = LLMQualityJudge(dispatcher, fallback_score=0.0)
        scores = [judge.submit(None, chat(i)).result(60) for i in range(10)]
        stats = dispatcher.stats.snapshot()
    assert wait_until(lambda: fresh_relay.stats()["in_flight"] == 0)  # hung requests finish hanging
    relay_stats = fresh_relay.stats()
    injected = sum(n for kind, n in relay_stats["by_fault"].items() if kind != "ok")
    assert injected > 0 and set(relay_stats["by_fault"]) == {"ok", *FAULT_NAMES[tuple(sorted(faults))]}
    assert stats["failures"] == 0 and stats["retries"] == injected
    assert relay_stats["total"] == 10 + injected
    assert scores == [1.0] * 10  # the offline judge's score for these chats, not the fallback


def test_a_judge_that_always_fails_gives_the_fallback_and_a_count(fresh_relay):
    set_faults(fresh_relay, rate_500=1.0)
    with make_dispatcher(fresh_relay, num_retries=2) as dispatcher:
        quality = LLMQualityJudge(dispatcher, fallback_score=0.25).submit(None, chat(0))
        checks = LLMAssertionJudge(dispatcher, fallback_score=0.25).submit(None, chat(1), ASSERTIONS)
        assert quality.result(60) == 0.25
        assert [c.met for c in checks.result(60)] == [False, False]  # met iff fallback_score >= 0.5
        assert all(c.fallback and "judge failed" in c.detail for c in checks.result())
        assert dispatcher.stats.failures == 2
    assert fresh_relay.stats()["total"] == 2 * 3


def test_a_wrong_key_is_not_retried_and_never_shows_in_errors(fresh_relay, caplog):
    client = relay_judge_client(fresh_relay.base_url, api_key="sk-" "wrong-key-abcdefghijkl", num_retries=3)
    with JudgeDispatcher(client.complete, model="judge") as dispatcher:
        checks = LLMAssertionJudge(dispatcher).submit(None, chat(0), ASSERTIONS).result(30)
    assert all(c.fallback for c in checks)
    assert fresh_relay.stats()["by_status"] == {"401": 1}
    assert "sk-" "wrong-key-abcdefghijkl" not in caplog.text + " ".join(c.detail for c in checks)


def test_judge_and_user_calls_share_one_event_loop_so_litellm_never_changes_loops(fresh_relay):
    """litellm binds process-wide state (its logging worker) to one loop: judge calls (dispatcher)
    and user-simulator calls (the rollout engine's runner) both run on the process's API loop, so
    alternating them makes litellm report no loop change and leaves no task behind."""
    import logging

    from agentcl.async_runner import api_loop

    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append
    litellm_log = logging.getLogger("LiteLLM")
    litellm_log.addHandler(handler)
    client = relay_judge_client(fresh_relay.base_url, api_key=RELAY_KEY, max_concurrency=4)
    try:
        with JudgeDispatcher(client.complete, model="judge", max_concurrency=4) as dispatcher:
            assert dispatcher._loop is api_loop().loop
            judge = LLMQualityJudge(dispatcher)
            for round_ in range(3):
                scores = dispatcher.run_batch([judge.request(None, chat(f"loop test {round_}-{i}")) for i in range(3)])
                assert all(0.0 <= s <= 1.0 for s in scores)
                direct = api_loop().run(client.complete(judge.request(None, chat(f"direct {round_}")).messages))
                assert direct.content
    finally:
        litellm_log.removeHandler(handler)
    changes = [r.getMessage() for r in records if "loop changed" in r.getMessage().lower()]
    assert changes == []
    assert fresh_relay.stats()["total"] == 12
