"""User turns through litellm against a relay that misbehaves: 429s, 500s, hangs, bad bodies, outages."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from helpers import run_on_api_loop

from agentcl.data_model import Message
from agentcl.registry import load_domain
from agentcl.users import UserConversation, UserSimulatorConfig, make_user_simulator
from agentcl.llm.client import LLMRequestError, LLMUnavailableError, _RateLimiter

KEY = "relay-faults-key-81d7c3"
FAST = dict(backoff_base=0.01, backoff_max=0.2, cooldown=0.3)  # keep the retries quick in tests


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


def first_turns(mock, n: int) -> list[UserConversation]:
    """n conversations waiting for the user's first message (tasks cycled)."""
    greeting = [Message(role="assistant", content="Hi! How can I help you today?")]
    return [UserConversation(mock.tasks[i % len(mock.tasks)], "mock", list(greeting), None, f"conv{i}")
            for i in range(n)]


def openai_user(base_urls: list[str], **overrides):
    settings = dict(user_type="openai_user_simulator", api_base=base_urls, api_key=KEY, model="scripted-user",
                    num_retries=10, timeout=5.0, max_concurrency=16, **FAST)
    settings.update(overrides)
    return make_user_simulator(UserSimulatorConfig(**settings))


def assert_opening_turns(turns, conversations):
    for turn, conv in zip(turns, conversations):
        reason = conv.task.user_scenario.instructions.reason_for_call.split("You want", 1)[1].strip()
        assert turn.message.content.startswith("Hi. I want") and reason[:12] in turn.message.content


def test_200_user_turns_complete_through_429s_and_500s(mock, relay_server):
    relay = relay_server(api_key=KEY, rate_429=0.3, rate_500=0.1, latency_ms=2, seed=7)
    simulator = openai_user([relay.base_url])
    conversations = first_turns(mock, 200)
    turns = run_on_api_loop(simulator.respond_batch(conversations))

    assert_opening_turns(turns, conversations)
    stats = relay.stats()
    injected = stats["by_fault"].get("rate_limit", 0) + stats["by_fault"].get("server_error", 0)
    assert stats["by_fault"]["rate_limit"] > 30 and stats["by_fault"]["server_error"] > 5
    assert stats["by_status"]["200"] == 200 and stats["total"] == 200 + injected
    assert simulator.client.stats.retries == injected and simulator.client.stats.failures == 0


def test_hung_requests_and_malformed_bodies_are_retried(mock, relay_server):
    relay = relay_server(api_key=KEY, rate_timeout=0.15, hang_s=3.0, rate_malformed=0.2, seed=3)
    simulator = openai_user([relay.base_url], timeout=0.5)
    conversations = first_turns(mock, 30)
    turns = run_on_api_loop(simulator.respond_batch(conversations))

    assert_opening_turns(turns, conversations)
    faults = relay.stats()["by_fault"]
    assert faults.get("timeout", 0) > 0 and faults.get("malformed", 0) > 0
    assert simulator.client.stats.retries >= faults.get("timeout", 0) + faults["malformed"]


def test_a_relay_that_is_down_gives_a_clear_error_naming_it_without_the_key(mock, dead_endpoint_url):
    secret = "sk-" "down-relay-secret-6b1e9f0a77"
    simulator = openai_user([dead_endpoint_url], api_key=secret, num_retries=3)
    with pytest.raises(LLMUnavailableError) as info:
        run_on_api_loop(simulator.respond(first_turns(mock, 1)[0]))
    message = str(info.value)
    assert dead_endpoint_url in message and "openai/scripted-user" in message
    assert "after 4 attempts" in message  # 1 + num_retries: the whole budget was spent
    assert "openai_user_simulator" in message
    assert secret not in message and secret not in repr(info.value)
    assert simulator.client.stats.requests == 4


def test_two_endpoints_with_one_down_still_complete_every_turn(mock, relay_server, dead_endpoint_url, tmp_path):
    relay = relay_server(api_key=KEY, latency_ms=2)
    endpoints = tmp_path / "endpoints.yaml"  # the file form of several endpoints
    endpoints.write_text(yaml.safe_dump({"endpoints": [
        {"api_base": relay.base_url, "model": "scripted-user", "api_key_env": "AGENTCL_TEST_RELAY_KEY"},
        {"api_base": dead_endpoint_url, "model": "scripted-user", "api_key_env": "AGENTCL_TEST_RELAY_KEY"},
    ]}))
    import os

    os.environ["AGENTCL_TEST_RELAY_KEY"] = KEY
    try:
        simulator = make_user_simulator(UserSimulatorConfig(
            user_type="openai_user_simulator", endpoints_file=str(endpoints), num_retries=6, max_concurrency=8, **FAST))
        conversations = first_turns(mock, 100)
        turns = run_on_api_loop(simulator.respond_batch(conversations))
    finally:
        del os.environ["AGENTCL_TEST_RELAY_KEY"]
    assert_opening_turns(turns, conversations)
    assert relay.stats()["by_status"] == {"200": 100}  # every answer came from the live endpoint
    assert simulator.client.stats.retries > 0  # ... after tries on the dead one, which the router then left out
    assert simulator.client.stats.failures == 0


def test_a_wrong_key_fails_at_once_without_retries(mock, relay_server):
    relay = relay_server(api_key=KEY)
    wrong = "relay-wrong-key-0f0f0f0f"
    simulator = openai_user([relay.base_url], api_key=wrong)
    with pytest.raises(LLMRequestError) as info:
        run_on_api_loop(simulator.respond(first_turns(mock, 1)[0]))
    assert relay.stats()["by_status"] == {"401": 1}
    assert relay.base_url in str(info.value) and "AuthenticationError" in str(info.value)
    assert wrong not in str(info.value)


def test_per_endpoint_concurrency_caps_hold(mock, relay_server, tmp_path):
    first, second = relay_server(api_key=KEY, latency_ms=60), relay_server(api_key=KEY, latency_ms=60)
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(
        '[{"api_base": "%s", "max_concurrency": 3, "api_key": "%s"},'
        ' {"api_base": "%s", "max_concurrency": 2, "api_key": "%s"}]' % (first.base_url, KEY, second.base_url, KEY))
    simulator = make_user_simulator(UserSimulatorConfig(
        user_type="openai_user_simulator", endpoints_file=str(endpoints), model="scripted-user", max_concurrency=32,
        **FAST))
    assert simulator.client.max_concurrency == 5  # never more than the endpoints accept together
    conversations = first_turns(mock, 40)
    turns = run_on_api_loop(simulator.respond_batch(conversations))
    assert_opening_turns(turns, conversations)
    assert 0 < first.stats()["max_in_flight"] <= 3 and 0 < second.stats()["max_in_flight"] <= 2
    assert first.stats()["by_status"]["200"] + second.stats()["by_status"]["200"] == 40


def test_rate_limiter_holds_the_fourth_request_of_a_three_per_minute_budget():
    async def scenario():
        limiter = _RateLimiter(rpm=3)
        for _ in range(3):
            await asyncio.wait_for(limiter.acquire(), timeout=1.0)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(limiter.acquire(), timeout=0.3)  # the window is a minute long

    asyncio.run(scenario())


def test_rpm_of_the_endpoints_adds_up_to_the_client_pace(relay_server):
    relay = relay_server()
    simulator = openai_user([relay.base_url, relay.base_url], rpm=120)
    assert simulator.client.rpm == 240
