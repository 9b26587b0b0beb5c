"""Crash-safe files: an append-only JSON-lines journal, and atomic whole-file writes.

A journal line is one JSON object. `append` writes a batch of lines and fsyncs once, so after it
returns the batch survives a crash. A crash during a write can leave a torn last line (terminated or not); readers skip it with a
warning, and the first append after reopening cuts it off (it was never acknowledged) so new lines
start clean. A line that does not parse anywhere else is an error naming the file and line.
Records carry a key; reading keeps one record per key, the last one written.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..errors import DataError
from ..secrets import redact
from ..output_errors import writing

log = logging.getLogger(__name__)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, fsync it, then rename over `path`.
    A full or read-only disk raises OutputWriteError naming `path`."""
    path = Path(path)
    with writing(path):
        return _atomic_write_text(path, text)


def _atomic_write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    # mkstemp makes the file private (0600); outputs are ordinary files, keep an old file's mode
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _jsonable(value: Any) -> Any:
    """numpy / torch scalars (loss values, rewards) and paths in logged dicts."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a JSON journal")


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


class JsonlJournal:
    """Append-only JSONL file of dict records, each identified by `key_of(record)`."""

    def __init__(self, path: str | Path, key_of: Callable[[dict[str, Any]], str]):
        self.path = Path(path)
        self.key_of = key_of
        self._lock = threading.Lock()
        self._tail_checked = False  # repaired on the first append, never by a mere reader

    def _drop_torn_tail(self) -> None:
        """Cut a torn last line (one that does not parse, newline-terminated or not) back to the
        last full record; terminate an unterminated last line that is a whole record."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as handle:
            data = handle.read()
            body = data.rstrip(b"\n")
            if not body:
                return
            start = body.rfind(b"\n") + 1
            if _parse(body[start:]) is None:
                log.warning("%s: dropping a torn last line (%d bytes) left by an interrupted write", self.path,
                            len(body) - start)
                handle.truncate(start)
            elif not data.endswith(b"\n"):
                handle.write(b"\n")
            else:
                return
            handle.flush()
            os.fsync(handle.fileno())

    def append(self, records: Iterable[dict[str, Any]]) -> int:
        """Write records durably (one fsync for the batch); returns how many were written."""
        lines = []
        for record in records:
            self.key_of(record)  # fail before writing anything if a record has no key
            text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_jsonable)
            lines.append(redact(text) + "\n")
        if not lines:
            return 0
        with self._lock, writing(self.path):
            if not self._tail_checked:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._drop_torn_tail()
                self._tail_checked = True
            self._write(lines)
        return len(lines)

    def upsert(self, records: Iterable[dict[str, Any]]) -> int:
        """Like `append`, but a key already in the file is replaced rather than written again: the
        file is rewritten atomically without its old line (cheap for small journals such as the
        per-step training log)."""
        records = list(records)
        new_keys = {self.key_of(record) for record in records}
        if not new_keys & self.keys():
            return self.append(records)
        with self._lock:
            kept = [r for r in self.records() if self.key_of(r) not in new_keys]
            text = "".join(redact(json.dumps(r, ensure_ascii=False, separators=(",", ":"), default=_jsonable)) + "\n"
                           for r in kept + records)
            atomic_write_text(self.path, text)
            self._tail_checked = True  # a whole new file: no torn tail
        return len(records)

    def _write(self, lines: list[str]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if not self.path.exists():
            return
        lines = self.path.read_bytes().split(b"\n")
        # the last non-empty line may be torn (a crash while writing it): skipped with a warning
        last = max((n for n, raw in enumerate(lines, start=1) if raw.strip()), default=0)
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            record = _parse(raw)
            if record is None:
                if number == last:
                    log.warning("%s: ignoring a torn last line", self.path)
                    continue
                raise DataError(f"line {number} is not a valid JSON object", path=self.path)
            yield number, record

    def records(self) -> list[dict[str, Any]]:
        """One record per key: the last one written, in the order keys first appeared."""
        latest: dict[str, dict[str, Any]] = {}
        for number, record in self._lines():
            try:
                key = self.key_of(record)
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"line {number} has no usable key ({exc})", path=self.path) from exc
            latest[key] = record  # dict keeps the first position, takes the new value
        return list(latest.values())

    def keys(self) -> set[str]:
        return {self.key_of(record) for _, record in self._lines()}
