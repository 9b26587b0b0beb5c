"""Whole telecom conversations: a rule-based agent on the back office, the scripted user on the phone,
talking through the local relay over real HTTP (litellm client -> relay -> scripted user with the
telecom rule). The user's tool calls change the phone, the agent's change the back office, and the
sync step shows each side's changes on the other."""

from __future__ import annotations

import json
import re

import pytest

from helpers import run_on_api_loop

from agentcl.data_model import Message, TerminationReason, ToolCall
from agentcl.registry import load_domain
from agentcl.rewards.evaluator import evaluate_run
from agentcl.users import STOP, UserConversation, UserSimulatorConfig, make_user_simulator

RELAY_KEY = "relay-telecom-key-3b71d0"
GREETING = "Hi! How can I help you today?"


class TelecomAgent:
    """A competent agent for two kinds of task: a line suspended for an overdue bill, and no mobile
    data abroad. It identifies the customer by phone number, works the back office, and asks the user
    to act on the phone."""

    def __init__(self, env):
        self.env = env
        self.step = "greet"
        self.customer = self.line = self.bill_id = None

    def _tool(self, out: list[Message], name: str, **arguments) -> dict:
        call = ToolCall(name=name, arguments=arguments)
        result = self.env.get_response(call)
        assert not result.error, (name, result.content)
        out += [Message(role="assistant", tool_calls=[call]), result]
        return json.loads(result.content) if result.content.startswith(("{", "[")) else {"text": result.content}

    def reply(self, history: list[Message]) -> list[Message]:
        out: list[Message] = []
        said = " ".join(m.content for m in history if m.role == "user" and m.content)
        last = next((m.content for m in reversed(history) if m.role == "user" and m.content), "")

        def say(text: str) -> list[Message]:
            return out + [Message(role="assistant", content=text)]

        if self.step == "greet":
            self.step = "identify"
            return say(GREETING)
        if self.step == "identify":
            number = re.search(r"\b\d{3}-\d{3}-\d{4}\b", said)
            if number is None:
                return say("I'm sorry to hear that. Could you please give me your phone number?")
            self.customer = self._tool(out, "get_customer_by_phone", phone_number=number.group(0))
            self.line = next(ln for ln in (self._tool(out, "get_details_by_id", id=lid)
                                           for lid in self.customer["line_ids"])
                             if ln["phone_number"] == number.group(0))
            self.step = "look"
            return say("Thank you. Could you check your status bar and tell me what it shows?")
        ids = {"customer_id": self.customer["customer_id"], "line_id": self.line["line_id"]}
        if self.step == "look":
            if self.line["status"] == "Suspended":
                bills = self._tool(out, "get_bills_for_customer", customer_id=self.customer["customer_id"])
                self.bill_id = next(b["bill_id"] for b in bills if b["status"] == "Overdue")
                self._tool(out, "send_payment_request", customer_id=self.customer["customer_id"], bill_id=self.bill_id)
                self.step = "resume"
                return say(f"I found an overdue bill {self.bill_id} and your line is suspended because of it. "
                           "I have sent you a payment request. Please check your payment requests and pay the bill.")
            if not self.line["roaming_enabled"]:
                self._tool(out, "enable_roaming", **ids)
            self.step = "confirm"
            return say("I have enabled roaming on your line. Please turn on data roaming on your phone "
                       "and then run a speed test.")
        if self.step == "resume":
            bill = self._tool(out, "get_details_by_id", id=self.bill_id)
            if bill["status"] != "Paid":
                return say("I don't see the payment yet. Please check your payment requests and pay the bill.")
            self._tool(out, "resume_line", **ids)
            self.step = "confirm"
            return say("Thank you, the bill is paid and your line is active again. "
                       "Please restart your phone and then check your status bar.")
        assert "Excellent" in last or "Signal" in last, last  # the user's report shows the fix
        self.step = "done"
        return say("Great, everything works again. Is there anything else I can help with?")


async def converse(simulator, task, domain, max_rounds: int = 10):
    env = domain.make_environment()
    history = env.set_state(task.initial_state)
    agent, turns = TelecomAgent(env), []
    for _ in range(max_rounds):
        history += agent.reply(history)
        turn = await simulator.respond(UserConversation(task, domain.name, list(history), env, task.id))
        turns.append(turn)
        history += [*turn.tool_messages, turn.message]
        if turn.stop:
            break
    await simulator.aclose()
    return history, turns, env


def _task_with_purpose(domain, purpose: str):
    return next(t for t in domain.tasks if t.description and t.description.purpose == purpose)


def _user_tool_results(turns) -> list[tuple[str, str]]:
    """(tool name, result) for every phone action the user took, in order."""
    out = []
    for turn in turns:
        names = {c.id: c.name for m in turn.tool_messages for c in (m.tool_calls or [])}
        out += [(names[m.id], m.content) for m in turn.tool_messages if m.role == "tool"]
    return out


@pytest.fixture(scope="module")
def telecom():
    return load_domain("telecom")


def _simulator(relay):
    return make_user_simulator(UserSimulatorConfig(
        user_type="openai_user_simulator", api_base=[relay.base_url], api_key=RELAY_KEY, model="scripted-user"))


def test_overdue_bill_conversation_through_the_relay(telecom, relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    task = _task_with_purpose(telecom, "service issue: overdue_bill_suspension")
    history, turns, env = run_on_api_loop(converse(_simulator(relay), task, telecom))

    assert turns[-1].stop and turns[-1].message.content.endswith(STOP)
    actions = _user_tool_results(turns)
    names = [name for name, _ in actions]
    assert names == ["check_status_bar", "check_payment_request", "make_payment", "reboot_device", "check_status_bar"]
    # the phone showed the back office's suspension, then the agent's payment request
    assert "No Signal" in actions[0][1]
    bill_id = task.evaluation_criteria.env_assertions[-1].arguments["overdue_bill_id"]
    assert bill_id in actions[1][1]
    # the user's payment reached the back office; the agent's resume + the user's reboot gave service back
    bill = next(b for b in env.agent_tools.data["bills"] if b["bill_id"] == bill_id)
    number = re.search(r"\d{3}-\d{3}-\d{4}", task.user_scenario.instructions.known_info).group(0)
    line = next(ln for ln in env.agent_tools.data["lines"] if ln["phone_number"] == number)
    assert bill["status"] == "Paid" and line["status"] == "Active"
    assert "📶⁴ Excellent" in actions[-1][1] and env.user_tools.data["device"]["network_connection_status"] == "connected"
    # the user reported what the phone showed, in words the agent can read
    assert any("No Signal" in (m.content or "") for m in history if m.role == "user" and not m.tool_calls)

    # the task's reward: on the live environment, and by replaying both sides' tool calls
    assert evaluate_run(task, telecom, history, TerminationReason.USER_STOP, final_environment=env).reward == 1.0
    assert evaluate_run(task, telecom, history, TerminationReason.USER_STOP).reward == 1.0
    assert relay.stats()["by_status"] == {"200": relay.stats()["total"]}


def test_roaming_conversation_through_the_relay(telecom, relay_server):
    relay = relay_server(api_key=RELAY_KEY)
    task = _task_with_purpose(telecom, "mobile data issue: roaming_off_everywhere")
    history, turns, env = run_on_api_loop(converse(_simulator(relay), task, telecom))

    assert turns[-1].stop
    actions = _user_tool_results(turns)
    assert [name for name, _ in actions] == ["check_status_bar", "toggle_roaming", "run_speed_test"]
    assert "Data Roaming is now ON" in actions[1][1] and "(Excellent)" in actions[2][1]
    agent_calls = [c.name for m in history if m.role == "assistant" for c in (m.tool_calls or [])]
    assert "enable_roaming" in agent_calls and env.user_tools.data["surroundings"]["roaming_allowed"] is True
    assert evaluate_run(task, telecom, history, TerminationReason.USER_STOP).reward == 1.0


def test_without_the_agents_fix_the_phone_stays_broken(telecom, relay_server):
    """The same roaming conversation, but the agent forgets the back office: the user's switch alone fails."""
    relay = relay_server(api_key=RELAY_KEY)
    task = _task_with_purpose(telecom, "mobile data issue: roaming_off_everywhere")

    class ForgetfulAgent(TelecomAgent):
        def _tool(self, out, name, **arguments):
            if name == "enable_roaming":
                return {}
            return super()._tool(out, name, **arguments)

        def reply(self, history):
            if self.step == "confirm":
                self.step = "done"
                return [Message(role="assistant", content="That should do it. Is there anything else?")]
            return super().reply(history)

    async def run():
        env = telecom.make_environment()
        history = env.set_state(task.initial_state)
        agent, simulator = ForgetfulAgent(env), _simulator(relay)
        for _ in range(8):
            history += agent.reply(history)
            turn = await simulator.respond(UserConversation(task, telecom.name, list(history), env, task.id))
            history += [*turn.tool_messages, turn.message]
            if turn.stop:
                break
        await simulator.aclose()
        return history, env

    history, env = run_on_api_loop(run())
    speed = [m.content for m in history if m.role == "tool" and m.requestor == "user" and "Speed test" in (m.content or "")]
    assert speed == ["Speed test failed: no internet connection."]
    assert evaluate_run(task, telecom, history, TerminationReason.USER_STOP).reward == 0.0
