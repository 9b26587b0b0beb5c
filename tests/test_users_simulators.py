"""User simulators through whole conversations: in-process (scripted) and over real HTTP (litellm -> relay)."""

from __future__ import annotations


import pytest
from helpers import run_on_api_loop
from users_mock_agent import GREETING, notification_task, run_conversation

from agentcl.data_model import Message
from agentcl.registry import load_domain
from agentcl.rollout.chat_format import visible_to_agent
from agentcl.users import (
    STOP,
    TRANSFER,
    UserConversation,
    UserSimulatorConfig,
    make_user_simulator,
)
from agentcl.users.litellm_user import LiteLLMUserSimulator, OpenAIUserSimulator
from agentcl.users.scripted import ScriptedUserSimulator

RELAY_KEY = "relay-users-key-5f0c2a9e"


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


def simulators(relay) -> dict[str, object]:
    """One of each chat simulator; the litellm ones talk to `relay` over HTTP."""
    return {
        "scripted": make_user_simulator(UserSimulatorConfig(user_type="scripted")),
        "openai_user_simulator": make_user_simulator(UserSimulatorConfig(
            user_type="openai_user_simulator", api_base=[relay.base_url], api_key=RELAY_KEY, model="scripted-user")),
        "user_simulator": make_user_simulator(UserSimulatorConfig(
            user_type="user_simulator", model="openai/scripted-user", api_base=[relay.base_url], api_key=RELAY_KEY)),
    }


def test_factory_builds_the_registered_classes(relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    sims = simulators(relay)
    assert isinstance(sims["scripted"], ScriptedUserSimulator)
    assert type(sims["openai_user_simulator"]) is OpenAIUserSimulator
    assert type(sims["user_simulator"]) is LiteLLMUserSimulator
    assert sims["openai_user_simulator"].client.endpoints[0].model == "openai/scripted-user"


@pytest.mark.parametrize("kind", ["scripted", "openai_user_simulator", "user_simulator"])
def test_full_conversations_end_with_the_right_stop_token(kind, mock, relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    simulator = simulators(relay)[kind]
    expected = {"create": STOP, "complete": STOP, "reopen": STOP, "count": STOP, "delete": TRANSFER}
    for task in mock.tasks[:5]:
        history, turns, env = run_on_api_loop(run_conversation(simulator, task, mock))
        assert turns[-1].stop and turns[-1].message.content.endswith(expected[task.id.split("_")[1]]), task.id
        assert all(not t.stop for t in turns[:-1])
        assert turns[0].message.content.startswith("Hi. I want")  # opens with the reason for the call
        if task.id.startswith("mock_create"):
            gold = task.gold_actions[0]
            calls = [c for m in history if m.role == "assistant" for c in (m.tool_calls or [])]
            assert any(gold.matches(c.name, c.arguments) for c in calls)  # the user gave the right user id
    if kind != "scripted":
        assert relay.stats()["by_status"] == {"200": relay.stats()["total"]}


@pytest.mark.parametrize("kind", ["scripted", "openai_user_simulator"])
def test_user_tool_calls_run_on_the_environment_and_stay_hidden_from_the_agent(kind, mock, relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    simulator = simulators(relay)[kind]
    task = notification_task(mock.tasks[0])
    history, turns, env = run_on_api_loop(run_conversation(simulator, task, mock))

    assert turns[-1].stop
    # the tools really ran on the user's side of this conversation's environment
    assert env.user_tools.assert_notification_status("note_1", "read")
    user_calls = [c for t in turns for m in t.tool_messages for c in (m.tool_calls or [])]
    assert [c.name for c in user_calls] == ["check_notifications", "dismiss_notification"]
    assert user_calls[1].arguments == {"notification_id": "note_1"}
    assert all(c.requestor == "user" for c in user_calls)
    results = [m for t in turns for m in t.tool_messages if m.role == "tool"]
    assert [r.requestor for r in results] == ["user", "user"] and not any(r.error for r in results)
    # what the agent is shown: plain user text, never the user's tool calls or their results
    for turn in turns:
        assert turn.message.role == "user" and not turn.message.tool_calls
    agent_view = visible_to_agent(history)
    assert not any(m.role == "tool" and m.requestor == "user" for m in agent_view)
    assert not any(m.role == "user" and m.tool_calls for m in agent_view)
    # the user reported what the tool showed (grounded), which is how the agent learned task_3
    assert "task_3" in turns[1].message.content
    agent_calls = [c for m in history if m.role == "assistant" for c in (m.tool_calls or [])]
    assert ("update_task_status", {"task_id": "task_3", "status": "completed"}) in [(c.name, c.arguments) for c in agent_calls]


def test_in_process_and_relay_scripted_users_say_the_same_things(mock, relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    sims = simulators(relay)
    for task in [*mock.tasks[:5], notification_task(mock.tasks[0])]:
        texts = {}
        for kind in ("scripted", "openai_user_simulator"):
            history, turns, _ = run_on_api_loop(run_conversation(sims[kind], task, mock))
            texts[kind] = [(m.role, m.content, [(c.name, c.arguments) for c in m.tool_calls or []],
                            m.id if m.requestor == "user" else None,  # user tool results: deterministic ids
                            ) for m in history]
        assert texts["scripted"] == texts["openai_user_simulator"], task.id


def test_many_user_turns_run_concurrently_up_to_the_cap(mock, relay_server):
    relay = relay_server(api_key=RELAY_KEY, latency_ms=100)
    simulator = make_user_simulator(UserSimulatorConfig(
        user_type="openai_user_simulator", api_base=[relay.base_url], api_key=RELAY_KEY, model="scripted-user",
        max_concurrency=6))
    conversations = [UserConversation(task, "mock", [Message(role="assistant", content=GREETING)], None, f"c{i}")
                     for i, task in enumerate(mock.tasks[:24])]
    turns = run_on_api_loop(simulator.respond_batch(conversations))
    # each turn answers its own conversation, in order
    for task, turn in zip(mock.tasks[:24], turns):
        wanted = task.user_scenario.instructions.reason_for_call.split("You want", 1)[1].strip()
        assert turn.message.content.startswith("Hi. I want") and wanted[:12] in turn.message.content
    stats = relay.stats()
    assert stats["total"] == 24
    assert stats["max_in_flight"] == 6  # reached the cap, never more
    assert all(t.usage["prompt_tokens"] > 0 for t in turns)


def test_the_user_may_speak_first(mock, relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    for simulator in simulators(relay).values():
        turn = run_on_api_loop(simulator.respond(UserConversation(mock.tasks[0], "mock", [], None)))
        assert turn.message.content.startswith("Hi. I want a new task called")


def test_a_scripted_user_gives_up_after_its_turn_budget(mock):
    simulator = ScriptedUserSimulator(max_turns=3)
    history = []
    for _ in range(3):
        history.append(Message(role="assistant", content="What is the weather like today?"))
        turn = run_on_api_loop(simulator.respond(UserConversation(mock.tasks[0], "mock", list(history), None)))
        history.append(turn.message)
    assert history[-1].content.endswith(STOP)


def test_unknown_facts_are_not_invented_and_repeated_asks_end_out_of_scope(mock):
    from agentcl.users import OUT_OF_SCOPE

    simulator = ScriptedUserSimulator()
    history = [Message(role="assistant", content=GREETING)]
    task = mock.tasks[0]  # knows a name and a user id, no email
    for _ in range(3):
        turn = run_on_api_loop(simulator.respond(UserConversation(task, "mock", list(history), None)))
        history.append(turn.message)
        history.append(Message(role="assistant", content="Could you give me your email address?"))
    said = [m.content for m in history if m.role == "user"]
    assert said[1] == "Sorry, I don't know my email address."
    assert said[2].endswith(OUT_OF_SCOPE)
    assert not any("@" in s for s in said)



def test_a_user_price_per_million_tokens_gives_each_turn_its_cost(mock, relay_server):
    """A relay model no price list knows costs what --user-price-per-mtok says (issue 15), and the
    relay's own count of the tokens it reported equals the turns' usage."""
    from agentcl.users.config import UserArgs, UserConfigError, from_args

    relay = relay_server(api_key=RELAY_KEY)
    config = from_args(UserArgs(openai_api_base=[relay.base_url], openai_api_key=RELAY_KEY,
                                openai_model="scripted-user", user_price_per_mtok="2.5,10"))
    assert config.price_per_mtok == [2.5, 10.0]
    simulator = make_user_simulator(config)
    conversations = [UserConversation(task, "mock", [Message(role="assistant", content=GREETING)], None, f"c{i}")
                     for i, task in enumerate(mock.tasks[:3])]
    turns = run_on_api_loop(simulator.respond_batch(conversations))
    for turn in turns:
        u = turn.usage
        assert u["calls"] == 1 and u["prompt_tokens"] > 0
        assert u["cost_usd"] == pytest.approx((u["prompt_tokens"] * 2.5 + u["completion_tokens"] * 10) / 1e6)
    assert relay.stats()["tokens"]["prompt_tokens"] == sum(t.usage["prompt_tokens"] for t in turns)
    free = make_user_simulator(from_args(UserArgs(openai_api_base=[relay.base_url], openai_api_key=RELAY_KEY,
                                                  openai_model="scripted-user")))
    assert run_on_api_loop(free.respond(conversations[0])).usage["cost_usd"] == 0.0  # unknown to litellm: free
    with pytest.raises(UserConfigError, match="--user-price-per-mtok takes two non-negative numbers"):
        from_args(UserArgs(user_price_per_mtok="2.5"))
