"""Pydantic models of the mock domain's databases, used only to VALIDATE loaded files.

The tools work on plain dicts; `validate_mock_db` / `validate_mock_user_db` check that a loaded
`db.json` / `user_db.json` has the shape and scalar types the tools rely on (strictly: `12345` is
not a status) and that ids agree, raising DataError naming the file and the first bad field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ...environment import validate_against
from ...errors import DataError


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class TrackerTask(_Model):
    task_id: str
    title: str
    description: str | None = None
    status: Literal["pending", "completed"]


class TrackerUser(_Model):
    user_id: str
    name: str
    tasks: list[str]


class MockDB(_Model):
    tasks: dict[str, TrackerTask]
    users: dict[str, TrackerUser]


class Notification(_Model):
    notification_id: str
    message: str
    status: Literal["unread", "read"]
    task_id: str | None = None


class MockUserDB(_Model):
    notifications: dict[str, Notification] = {}


def validate_mock_db(data: Any, path: str | Path | None = None) -> MockDB:
    db = validate_against(MockDB, data, path=path, what="mock database")
    problems = [f"tasks.{key}.task_id is {task.task_id!r}" for key, task in db.tasks.items() if task.task_id != key]
    problems += [f"users.{key}.user_id is {user.user_id!r}" for key, user in db.users.items() if user.user_id != key]
    problems += [f"users.{key}.tasks names unknown task {task_id!r}"
                 for key, user in db.users.items() for task_id in user.tasks if task_id not in db.tasks]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise DataError("inconsistent mock database: " + "; ".join(problems[:3]) + more, path=path)
    return db


def validate_mock_user_db(data: Any, path: str | Path | None = None) -> MockUserDB:
    db = validate_against(MockUserDB, data, path=path, what="mock user database")
    wrong = [key for key, note in db.notifications.items() if note.notification_id != key]
    if wrong:
        raise DataError(f"inconsistent mock user database: notifications.{wrong[0]}.notification_id differs "
                        "from its key", path=path)
    return db
