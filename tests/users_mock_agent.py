"""A rule-based agent for the mock domain, to take user simulators through whole conversations.

It plays the agent's side the way a competent model would: greets, asks for the ids it needs, runs
the mock tools on the conversation's environment, reports the result, and transfers what it cannot
do. It also asks the user to check and dismiss notifications (the mock domain's user tools).
"""

from __future__ import annotations

import re

from agentcl.data_model import Message, Task, ToolCall
from agentcl.data_model.tasks import InitialState
from agentcl.users.base import UserConversation, UserSimulator

GREETING = "Hi! How can I help you today?"


def _user_texts(history: list[Message]) -> list[str]:
    return [m.content for m in history if m.role == "user" and m.content]


class MockDomainAgent:
    """Deterministic agent turns for the mock domain (one instance per conversation)."""

    def __init__(self):
        self.notification_checked = False
        self.notification_dismiss_asked = False

    def _tool(self, env, name: str, **arguments) -> list[Message]:
        call = ToolCall(name=name, arguments=arguments)
        return [Message(role="assistant", tool_calls=[call]), env.get_response(call)]

    def reply(self, history: list[Message], env) -> list[Message]:
        texts = _user_texts(history)
        if not texts:
            return [Message(role="assistant", content=GREETING)]
        request, everything = texts[0].lower(), " ".join(texts)
        user_id = next(iter(re.findall(r"\buser_\d+\b", everything)), None)
        task_ids = re.findall(r"\btask_\d+\b", everything)
        title = next(iter(re.findall(r"'([^']+)'", texts[0])), None)

        if "notification" in request:
            if not self.notification_checked:
                self.notification_checked = True
                return [Message(role="assistant", content="Could you check your notifications and tell me what they say?")]
            if not task_ids:
                return [Message(role="assistant", content="Which task id does the notification mention?")]
            out = self._tool(env, "update_task_status", task_id=task_ids[-1], status="completed")
            if not self.notification_dismiss_asked:
                self.notification_dismiss_asked = True
                note = next(iter(re.findall(r"\bnote_\d+\b", everything)), "note_1")
                return out + [Message(role="assistant", content=f"I marked {task_ids[-1]} as completed. "
                                                                f"Please dismiss notification {note} on your side.")]
            return [Message(role="assistant", content=f"Task {task_ids[-1]} is completed and the notification "
                                                       "is dismissed. Is there anything else I can help with?")]
        if "deleted" in request or "delete" in request:
            out = self._tool(env, "transfer_to_human_agents", summary="User wants a task deleted.")
            return out + [Message(role="assistant", content="I'm sorry, I cannot delete tasks. "
                                                             "I will transfer you to a human agent now.")]
        if user_id is None and ("new task" in request or "how many" in request):
            return [Message(role="assistant", content="Sure. Could you please give me your user id?")]
        if "new task" in request:
            out = self._tool(env, "create_task", user_id=user_id, title=title or "Untitled")
            created = re.search(r'"task_id": "(task_\d+)"', out[-1].content or "")
            return out + [Message(role="assistant", content=f"I have created task {created.group(1) if created else '?'} "
                                                             f"titled '{title}'. Is there anything else?")]
        if "how many" in request:
            users = self._tool(env, "get_users")
            return users + [Message(role="assistant", content="I looked it up: you have 2 pending tasks.")]
        if not task_ids:
            return [Message(role="assistant", content="Could you tell me the task id?")]
        status = "pending" if "reopen" in request else "completed"
        out = self._tool(env, "update_task_status", task_id=task_ids[0], status=status)
        return out + [Message(role="assistant", content=f"Task {task_ids[0]} is now {status}. Anything else?")]


async def run_conversation(simulator: UserSimulator, task: Task, domain_data, max_rounds: int = 12):
    """Agent and user take turns until the user's stop token (or max_rounds); returns (history, turns, env)."""
    env = domain_data.make_environment()
    history = env.set_state(task.initial_state)
    agent, turns = MockDomainAgent(), []
    for _ in range(max_rounds):
        history += agent.reply(history, env)
        turn = await simulator.respond(UserConversation(task, domain_data.name, list(history), env, task.id))
        turns.append(turn)
        history += [*turn.tool_messages, turn.message]
        if turn.stop:
            break
    return history, turns, env


def notification_task(base: Task) -> Task:
    """A mock task that needs the user's tools: a notification names the task to complete."""
    data = base.model_dump()
    data.update(id="mock_notification_test", initial_state=InitialState.model_validate({
        "initialization_actions": [{"env_type": "user", "func_name": "add_notification", "arguments": {
            "notification_id": "note_1", "message": "Reminder: task_3 is overdue.", "task_id": "task_3"}}]}))
    data["user_scenario"]["instructions"] = {
        "domain": "mock",
        "reason_for_call": "You got a notification about one of your tasks and want that task marked as done.",
        "known_info": "You are Elena Khan; your user id is user_10.",
        "unknown_info": "You do not remember the task id; the notification in your inbox names it.",
        "task_instructions": "Check your notifications when the agent asks you to.",
    }
    return Task.model_validate(data)

