"""Mock domain: a tiny task tracker (agent side) and a notification inbox (user side)."""

from __future__ import annotations

from typing import Any

from ...environment import Toolkit, ToolKind, tool
from ...errors import ToolError

TASK_STATUSES = ("pending", "completed")


class MockAgentTools(Toolkit):
    name = "mock_agent"

    @tool(ToolKind.WRITE)
    def create_task(self, user_id: str, title: str, description: str | None = None) -> dict[str, Any]:
        """Create a new task for a user.

        Args:
            user_id: The id of the user who owns the task.
            title: The title of the task.
            description: An optional description of the task.
        """
        users = self.data["users"]
        if user_id not in users:
            raise ToolError(f"user {user_id} not found")
        task_id = f"task_{len(self.data['tasks']) + 1}"
        task = {"task_id": task_id, "title": title, "description": description, "status": "pending"}
        self.data["tasks"][task_id] = task
        users[user_id]["tasks"].append(task_id)
        return task

    @tool(ToolKind.READ)
    def get_users(self) -> list[dict[str, Any]]:
        """List every user with the ids of their tasks."""
        return list(self.data["users"].values())

    @tool(ToolKind.WRITE)
    def update_task_status(self, task_id: str, status: str) -> dict[str, Any]:
        """Set the status of a task.

        Args:
            task_id: The id of the task.
            status: The new status, 'pending' or 'completed'.
        """
        if task_id not in self.data["tasks"]:
            raise ToolError(f"task {task_id} not found")
        if status not in TASK_STATUSES:
            raise ToolError(f"invalid status {status!r}; use one of {', '.join(TASK_STATUSES)}")
        self.data["tasks"][task_id]["status"] = status
        return self.data["tasks"][task_id]

    @tool(ToolKind.GENERIC)
    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent, with a summary of their issue.

        Args:
            summary: A short summary of the user's issue.
        """
        return "Transfer successful"

    # -- env assertions (not tools) --------------------------------------------------------
    def assert_task_status(self, task_id: str, expected_status: str) -> bool:
        task = self.data["tasks"].get(task_id)
        return task is not None and task["status"] == expected_status


class MockUserTools(Toolkit):
    name = "mock_user"

    def _inbox(self) -> dict[str, Any]:
        return self.data.setdefault("notifications", {})

    @tool(ToolKind.READ)
    def check_notifications(self) -> list[dict[str, Any]]:
        """Show the notifications in your inbox; unread ones become read."""
        notes = list(self._inbox().values())
        for note in notes:
            if note["status"] == "unread":
                note["status"] = "read"
        return notes

    @tool(ToolKind.WRITE)
    def dismiss_notification(self, notification_id: str) -> str:
        """Dismiss (mark as read) one notification.

        Args:
            notification_id: The id of the notification.
        """
        note = self._inbox().get(notification_id)
        if note is None:
            raise ToolError(f"notification {notification_id} not found")
        note["status"] = "read"
        return f"Notification {notification_id} dismissed"

    # -- set-up and assertions (not tools) -------------------------------------------------
    def add_notification(self, notification_id: str, message: str, task_id: str | None = None) -> None:
        self._inbox()[notification_id] = {
            "notification_id": notification_id,
            "message": message,
            "status": "unread",
            "task_id": task_id,
        }

    def assert_notification_status(self, notification_id: str, expected_status: str) -> bool:
        note = self._inbox().get(notification_id)
        return note is not None and note["status"] == expected_status
