"""Shared pieces of the curriculum tests (also imported by the subprocess the resume test kills)."""

from __future__ import annotations

from agentcl.data_model import Message
from agentcl.users.base import UserSimulator, UserTurn


class TrialLengthUser(UserSimulator):
    """States a request, then ends the conversation; on odd trials it rambles for one more turn first.

    A random tiny model solves no task, so every conversation of a GRPO group would get the same
    task reward and GRPO would have nothing to learn from. With the conversation-length penalty on,
    the rambling trials make a group's conversations differ in length, hence in reward.
    """

    name = "trial-length-test-user"

    async def respond(self, conversation):
        said = sum(1 for m in conversation.history if m.role == "user" and m.content)
        if said == 0:
            return UserTurn(Message(role="user", content="Hi, please mark my task as completed."))
        trial = int(conversation.conversation_id.split("/")[2])
        if said == 1 and trial % 2:
            return UserTurn(Message(role="user", content=" ".join(["Also, thanks for the help today."] * 6)))
        return UserTurn(Message(role="user", content="Bye ###STOP###"))
