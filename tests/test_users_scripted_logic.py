"""The scripted user's pieces: scenario prompt round trip, role flipping, facts, answers, user-tool rules."""

from __future__ import annotations

import json
import re

import pytest
from helpers import REFERENCE_DATA

from agentcl.data_model import Message, Task, ToolCall
from agentcl.registry import load_domain
from agentcl.users import OUT_OF_SCOPE, STOP, TRANSFER
from agentcl.users import scripted_logic
from agentcl.users.prompt import (
    CONVERSATION_START,
    build_system_prompt,
    flip_history,
    parse_scenario,
    scenario_sections,
)
from agentcl.users.scripted_logic import (
    Scenario,
    default_user_tool_rule,
    register_user_tool_rule,
    scripted_reply,
    to_first_person,
)


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


def reference_tasks() -> list[dict]:
    tasks = []
    for name in ("airline/tasks.json", "retail/tasks.json", "telecom/tasks_small.json"):
        path = REFERENCE_DATA / name
        if path.is_file():
            tasks += json.loads(path.read_text())
    return tasks


def test_the_scenario_survives_the_system_prompt_round_trip(mock):
    task = mock.tasks[0]
    prompt = build_system_prompt(task, "mock", has_user_tools=True)
    assert "###STOP###" in prompt and "###TRANSFER###" in prompt and "###OUT-OF-SCOPE###" in prompt
    assert "tools" in prompt  # the user-tool guidance is there when the domain has user tools
    assert parse_scenario(prompt) == scenario_sections(task, "mock")
    free_text = Task.model_validate({"id": "t", "user_scenario": {"persona": "Calm.", "instructions":
                                                                  "Create a task called 'Demo' for user_1."}})
    sections = parse_scenario(build_system_prompt(free_text, "mock"))
    assert sections == {"domain": "mock", "persona": "Calm.", "instructions": "Create a task called 'Demo' for user_1."}
    assert parse_scenario("no scenario here") is None


def test_role_flipping_hides_the_agents_tools_and_keeps_the_users_own():
    agent_call = ToolCall(id="a1", name="get_users", arguments={})
    user_call = ToolCall(id="u1", name="check_notifications", arguments={}, requestor="user")
    history = [
        Message(role="assistant", content="Hi!"),
        Message(role="user", content="I need help."),
        Message(role="assistant", tool_calls=[agent_call]),
        Message(role="tool", id="a1", content="[users]", requestor="assistant"),
        Message(role="assistant", content="Please check your inbox."),
        Message(role="user", tool_calls=[user_call]),
        Message(role="tool", id="u1", content="[notes]", requestor="user"),
        Message(role="user", content="It says task_3."),
    ]
    flipped = flip_history(history)
    assert [m["role"] for m in flipped] == ["user", "assistant", "user", "assistant", "tool", "assistant"]
    assert flipped[3]["tool_calls"][0]["function"]["name"] == "check_notifications"
    assert flipped[4] == {"role": "tool", "tool_call_id": "u1", "content": "[notes]"}
    assert "get_users" not in json.dumps(flipped) and "[users]" not in json.dumps(flipped)
    assert flip_history([]) == [{"role": "user", "content": CONVERSATION_START}]


def test_facts_are_found_in_every_reference_scenario():
    tasks = reference_tasks()
    if not tasks:
        pytest.skip("reference data not present")
    for raw in tasks:
        instructions = raw["user_scenario"]["instructions"]
        sections = {k: v for k, v in instructions.items() if isinstance(v, str)}
        facts, known = Scenario.from_sections(sections).facts, instructions.get("known_info") or ""
        where = f"task {raw['id']}: {known!r}"
        if re.search(r"user id", known, re.I):
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*_\d+", facts.get("user_id", "")), where
        if "@" in known:
            assert facts["email"] in known, where
        if re.search(r"\d{5}", known) and "@" not in known and "phone" not in known:
            assert facts["zip"] in known, where
        if "phone number" in known:
            assert facts["phone"] in known, where
        if re.search(r"(You are|name is) [A-Z][a-z]+ [A-Z]", known):
            assert facts["name"] in known, where


def test_second_person_becomes_first_person():
    assert to_first_person("You want to cancel your order because you were told so.") == \
        "I want to cancel my order because I was told so."
    assert to_first_person("The agent told you that you're covered.") == "The agent told me that I'm covered."


def request(task: Task, *turns: str, tools=None) -> list[dict]:
    """A chat request as the simulators send it: agent and user lines alternate, agent first."""
    messages = [{"role": "system", "content": build_system_prompt(task, "mock", bool(tools))}]
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return messages


@pytest.mark.parametrize("agent,expected", [
    ("Could you give me your user id?", "My user id is user_10."),
    ("What is your full name and user id?", "My user id is user_10. My name is Elena Khan."),
    ("What should the task be called?", "The title is 'Hiring Loop 58'."),
    ("I will create 'Hiring Loop 58' for user_10. Shall I proceed?", "Yes, please go ahead."),
    ("Task task_21 has been created. Anything else?", f"Great, thank you. That's all I needed. {STOP}"),
    ("I will transfer you to a human agent now.", TRANSFER),
    ("Could you tell me your phone number?", "Sorry, I don't know my phone number."),
])
def test_answers_to_the_agent(mock, agent, expected):
    reply = scripted_reply(request(mock.tasks[0], "Hello!", "Hi. I want a new task.", agent))
    assert reply.content == expected and not reply.tool_calls


def test_opening_and_out_of_scope(mock):
    opening = scripted_reply(request(mock.tasks[0], "Hello!"))
    assert opening.content == "Hi. I want a new task called 'Hiring Loop 58' in the tracker."
    again = scripted_reply(request(mock.tasks[0], "Hello!", "Hi.", "Your email?", "Sorry, I don't know my email address.",
                                   "I really need your email address?"))
    assert again.content.endswith(OUT_OF_SCOPE)


def test_a_request_without_a_scenario_is_refused():
    with pytest.raises(scripted_logic.ScenarioMissing, match="<scenario>"):
        scripted_reply([{"role": "user", "content": "hi"}])


def test_default_rule_calls_what_the_agent_asks_for_with_its_arguments(mock):
    schemas = mock.make_environment().user_tool_schemas()
    calls = default_user_tool_rule("Please check your notifications, then dismiss notification note_7.", schemas)
    assert [(c.name, c.arguments, c.requestor) for c in calls] == [
        ("check_notifications", {}, "user"), ("dismiss_notification", {"notification_id": "note_7"}, "user")]
    # a report is not a request; a request without the required id cannot be made
    assert default_user_tool_rule("The notification is dismissed and task_3 is done.", schemas) == []
    assert default_user_tool_rule("Please dismiss the notification.", schemas) == []
    assert [c.name for c in default_user_tool_rule("Run `check_notifications` for me.", schemas)] == ["check_notifications"]


def test_a_registered_domain_rule_replaces_the_default(mock):
    schemas = mock.make_environment().user_tool_schemas()
    seen = []

    def rule(agent_text, tool_schemas):
        seen.append(agent_text)
        return [ToolCall(name="check_notifications", arguments={}, requestor="user")] if "inbox" in agent_text else []

    register_user_tool_rule("mock", rule)
    try:
        reply = scripted_reply(request(mock.tasks[0], "Hello!", "Hi.", "Anything in your inbox?"), tools=schemas)
        assert [c.name for c in reply.tool_calls] == ["check_notifications"] and seen == ["Anything in your inbox?"]
    finally:
        scripted_logic._RULES.pop("mock", None)
