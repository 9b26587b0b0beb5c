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

from .errors import AgentclError

MASK = "***REDACTED***"
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
_known: set[str] = set()
_lock = threading.Lock()
log = logging.getLogger(__name__)


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


class KeyFileError(AgentclError, ValueError):
    """A key file that cannot be used (empty), or a key given twice (flag and file)."""


_warned_files: set[str] = set()


def read_key_file(file_path: str | Path) -> str:
    """The key in `file_path` (stripped). Missing: FileNotFoundError; empty: KeyFileError; readable by
    every user of the machine: a warning (once per file) to `chmod 600` it."""
    path = Path(file_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"API key file not found: {path}")
    if path.stat().st_mode & 0o004 and str(path) not in _warned_files:
        _warned_files.add(str(path))
        log.warning("API key file %s is readable by every user of this machine; restrict it: chmod 600 %s", path, path)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise KeyFileError(f"API key file {path} is empty")
    return value


def check_key_sources(flag_value: str | None, file_path: str | None, flag: str = "the key flag",
                      file_flag: str = "the key file") -> None:
    """A key given both directly and as a file is ambiguous: refuse it rather than pick one."""
    if flag_value and file_path:
        raise KeyFileError(f"an API key was given both by {flag} and by {file_flag} ({file_path}); pass only one")


def resolve_secret(flag_value: str | None, env_var: str | None = None, file_path: str | None = None) -> Secret:
    """A key from the flag or the file (never both: KeyFileError), else the environment variable."""
    check_key_sources(flag_value, file_path)
    if flag_value:
        return Secret(flag_value)
    if file_path:
        return Secret(read_key_file(file_path))
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
