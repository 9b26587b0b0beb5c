"""Shared pieces of the curriculum tests (also imported by the subprocess the resume test kills)."""

from __future__ import annotations

from agentcl.data_model import Message
from agentcl.users.base import UserSimulator, UserTurn


class TrialLengthUser(UserSimulator):
    """States a request, then ends the conversation; on odd trials it rambles first.

    A random tiny model solves no task, so every conversation of a GRPO group would get the same
    task reward and GRPO would have nothing to learn from. With the conversation-length penalty on,
    the rambling trials make a group's conversations differ in length, hence in reward.
    """

    name = "trial-length-test-user"

    async def respond(self, conversation):
        if not any(m.role == "user" for m in conversation.history):
            return UserTurn(Message(role="user", content="Hi, please mark my task as completed."))
        trial = int(conversation.conversation_id.split("/")[2])
        ramble = " ".join(["I also wanted to say thanks for the help with everything today."] * 6) if trial % 2 else ""
        return UserTurn(Message(role="user", content=f"{ramble} Bye ###STOP###".strip()))
