"""Errors that name what went wrong and where, so a user can fix their input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable


class AgentclError(Exception):
    """Base class for every error this project raises on purpose."""


class DataError(AgentclError):
    """Bad input data: names the file and, when known, the task id."""

    def __init__(self, message: str, *, path: str | Path | None = None, task_id: str | None = None):
        self.path = str(path) if path is not None else None
        self.task_id = task_id
        where = []
        if self.path:
            where.append(f"file {self.path}")
        if task_id is not None:
            where.append(f"task {task_id!r}")
        prefix = f"[{', '.join(where)}] " if where else ""
        super().__init__(prefix + message)


class UnknownNameError(AgentclError, KeyError):
    """A registry lookup failed; the message lists the known names."""

    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known {kind}s: {', '.join(self.known) or '(none)'}")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.args[0]


class ToolError(AgentclError):
    """Raised by a tool to refuse a call; the message is shown to the caller as the tool result."""


def run_command(body: Callable[[], Any]) -> int:
    """A command line's body: exit code 0 when it returns, 2 with a one-line, key-free message on
    an AgentclError (bad flags, data, endpoints; an error class may name its own `exit_code`, e.g. a
    spent API budget). Logs are redacted from the start."""
    from .secrets import install_log_redaction, redact

    install_log_redaction()
    try:
        body()
    except AgentclError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))  # 2, or the error's own (a spent API budget: 3)
    except OSError as exc:  # a full or read-only disk anywhere: one line naming the path, not a traceback
        from .output_errors import explain_write_failure

        message = explain_write_failure(exc) if exc.errno is not None and exc.errno in _disk_errnos() else None
        if message is None:
            raise
        print(f"error: {redact(message)}", file=sys.stderr)
        return 2
    return 0


def _disk_errnos() -> set[int]:
    from .output_errors import DISK_ERRNOS

    return DISK_ERRNOS
