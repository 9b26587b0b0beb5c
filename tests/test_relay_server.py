"""The local relay as an OpenAI-compatible server: wire format, routing, auth, stats, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from helpers import run_on_api_loop
from users_mock_agent import notification_task, run_conversation

from agentcl.registry import load_domain
from agentcl.relay import FaultConfig
from agentcl.relay.faults import FaultInjector
from agentcl.users import UserSimulatorConfig, make_user_simulator
from agentcl.users.prompt import build_system_prompt

KEY = "relay-server-key-3c9d1e"


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


def post(url: str, body: dict, key: str | None = KEY) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_answers_with_tool_calls_then_reports_their_results_through_litellm(mock, relay_server):
    import litellm

    relay = relay_server(api_key=KEY)
    task = notification_task(mock.tasks[0])
    env = mock.make_environment()
    tools = env.user_tool_schemas()
    messages = [
        {"role": "system", "content": build_system_prompt(task, "mock", has_user_tools=True)},
        {"role": "user", "content": "Hi! How can I help you today?"},
        {"role": "assistant", "content": "Hi. I got a notification about one of my tasks."},
        {"role": "user", "content": "Could you check your notifications and tell me what they say?"},
    ]
    first = litellm.completion(model="openai/scripted-user", api_base=relay.base_url, api_key=KEY,
                               messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "check_notifications" and json.loads(call.function.arguments) == {}
    assert first.usage.total_tokens > 0

    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '[{"notification_id": "note_1"}]'}]
    second = litellm.completion(model="openai/scripted-user", api_base=relay.base_url, api_key=KEY,
                                messages=messages, tools=tools)
    assert second.choices[0].finish_reason == "stop"
    assert "note_1" in second.choices[0].message.content and not second.choices[0].message.tool_calls


def test_models_judge_route_auth_and_stats(relay_server):
    relay = relay_server(api_key=KEY)
    root = relay.root_url
    assert get(f"{root}/health") == {"status": "ok"}
    assert {m["id"] for m in get(f"{relay.base_url}/models")["data"]} == {"scripted-user", "judge"}

    status, body = post(f"{relay.base_url}/chat/completions", {"model": "any", "messages": [
        {"role": "user", "content": "hello"}]})
    assert status == 400 and "<scenario>" in body["error"]["message"]  # nobody to play without a scenario

    status, body = post(f"{relay.base_url}/chat/completions", {"model": "judge-small", "messages": [
        {"role": "user", "content": "not a judge prompt"}]})
    assert status == 400 and body["error"]["type"] == "invalid_request_error"  # the judge, not the user, refused

    for key in (None, "wrong-key-123"):
        status, body = post(f"{relay.base_url}/chat/completions", {"model": "x", "messages": []}, key=key)
        assert status == 401 and "API key" in body["error"]["message"]
        assert "wrong-key-123" not in json.dumps(body)

    stats = get(f"{root}/stats")
    assert stats["total"] == 4 and stats["in_flight"] == 0 and stats["max_in_flight"] == 1
    assert stats["by_status"] == {"400": 2, "401": 2}
    assert stats["by_model"] == {"any": 1, "judge-small": 1, "x": 2}
    post(f"{root}/stats/reset", {})
    assert get(f"{root}/stats")["total"] == 0


def test_the_judge_route_answers_a_real_judge_prompt(relay_server):
    from agentcl.data_model import Message
    from agentcl.rewards.judge.prompts import assertion_prompt

    relay = relay_server()
    prompt = assertion_prompt(None, [Message(role="user", content="Cancel my order please."),
                                     Message(role="assistant", content="Your order has been cancelled.")],
                              ["The agent confirms the cancellation."])
    status, body = post(f"{relay.base_url}/chat/completions", {"model": "judge", "messages": prompt}, key=None)
    assert status == 200
    verdict = json.loads(body["choices"][0]["message"]["content"])
    assert verdict["results"][0]["assertion"] == "The agent confirms the cancellation."


def test_fault_draws_follow_the_configured_rates_and_latencies():
    injector = FaultInjector(FaultConfig(rate_429=0.3, rate_500=0.1, rate_timeout=0.05, rate_malformed=0.05, seed=11))
    draws = [injector.draw_fault() for _ in range(4000)]
    share = {kind: draws.count(kind) / len(draws) for kind in set(draws)}
    assert abs(share["rate_limit"] - 0.3) < 0.03 and abs(share["server_error"] - 0.1) < 0.02
    assert abs(share["timeout"] - 0.05) < 0.015 and abs(share["malformed"] - 0.05) < 0.015
    fixed = FaultInjector(FaultConfig(latency_ms=40))
    assert {fixed.draw_latency_s() for _ in range(5)} == {0.04}
    uniform = FaultInjector(FaultConfig(latency_ms=40, latency_dist="uniform", latency_jitter_ms=10))
    assert all(0.03 <= uniform.draw_latency_s() <= 0.05 for _ in range(200))
    expo = FaultInjector(FaultConfig(latency_ms=40, latency_dist="exponential", seed=2))
    mean = sum(expo.draw_latency_s() for _ in range(4000)) / 4000
    assert 0.036 < mean < 0.044
    with pytest.raises(ValueError, match="sum to at most 1"):
        FaultConfig(rate_429=0.7, rate_500=0.5)


def test_python_m_agentcl_relay_serves_a_whole_conversation(mock, relay_process):
    relay = relay_process("--latency-ms", "1", env={"AGENTCL_RELAY_API_KEY": KEY})
    simulator = make_user_simulator(UserSimulatorConfig(
        user_type="openai_user_simulator", api_base=[relay.base_url], api_key=KEY, model="scripted-user"))
    history, turns, env = run_on_api_loop(run_conversation(simulator, notification_task(mock.tasks[0]), mock))
    assert turns[-1].stop and env.user_tools.assert_notification_status("note_1", "read")
    assert get(f"{relay.root_url}/stats")["by_status"]["200"] >= len(turns)
    relay.process.send_signal(signal.SIGTERM)
    assert relay.process.wait(timeout=10) == 0
    assert KEY not in relay.process.stdout.read()


def test_relay_cli_rejects_bad_fault_rates():
    done = subprocess.run([sys.executable, "-m", "agentcl.relay", "--rate-429", "0.8", "--rate-500", "0.5"],
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())
    assert done.returncode == 2 and "sum to at most 1" in done.stderr
