"""API keys: held in a wrapper that never prints, and scrubbed from any text we log or save.

Every key that enters the program is registered here; `redact()` replaces each registered key
(and anything shaped like an OpenAI-style key) with a fixed mask, and `install_log_redaction()`
puts that on every log record, including those of litellm and httpx.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

MASK = "***REDACTED***"
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    """A secret string: str() and repr() show a mask; .get() gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        self._value = value or None
        if self._value:
            register_secret(self._value)

    def get(self) -> str | None:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({MASK if self._value else None})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    if not isinstance(text, str):
        text = str(text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return _KEY_SHAPE.sub(MASK, text)


def resolve_secret(flag_value: str | None, env_var: str | None = None, file_path: str | None = None) -> Secret:
    """A key from, in order: the flag, the file, the environment variable."""
    if flag_value:
        return Secret(flag_value)
    if file_path:
        path = Path(file_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"API key file not found: {path}")
        return Secret(path.read_text(encoding="utf-8").strip())
    if env_var and os.environ.get(env_var):
        return Secret(os.environ[env_var])
    return Secret(None)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_installed = False


def install_log_redaction() -> None:
    """Scrub secrets from every handler's records (root and already-created loggers)."""
    global _installed
    if _installed:
        return
    _installed = True
    flt = RedactingFilter()

    def attach(handler: logging.Handler) -> None:
        if flt not in handler.filters:
            handler.addFilter(flt)

    for handler in logging.getLogger().handlers:
        attach(handler)
    original = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        flt.filter(record)
        original(self, record)

    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
