"""The judge's answer cache: in memory for this run, and in SQLite across runs.

Keys are a SHA-256 of (model, messages, sampling params) in canonical JSON, so the same request
always finds the same answer and a resumed run pays nothing twice. Only answers that parsed are
stored (the dispatcher decides); failures and fallbacks never are.

The store is one SQLite file (`judge_cache.sqlite3` in the cache directory) in WAL mode, so
several training processes on one machine can share it; writers wait up to `busy_timeout` for each
other. A store that cannot be opened (read-only folder, a network file system) leaves the cache in
memory, with a warning: a cache problem never stops training.
Rows carry the model name and the time written, which lets `prune(older_than_s=...)` keep the file
from growing without bound.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DB_NAME = "judge_cache.sqlite3"
SCHEMA_VERSION = 1


def default_cache_dir(run_dir: str | Path) -> Path:
    """<run_dir>/judge_cache; in a run over several machines, one sub-folder per machine.

    SQLite's locks and WAL index hold only between processes of one host, and a multi-node run's
    output folder is usually on a shared file system, so each node keeps its own store there.
    torchrun (behind `accelerate launch`) sets the variables read here.
    """
    directory = Path(run_dir) / "judge_cache"
    world, local = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("LOCAL_WORLD_SIZE", "0") or 0)
    if local and world > local:
        directory = directory / f"node{os.environ.get('GROUP_RANK', '0')}"
    return directory


def _is_lock_contention(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def cache_key(model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    payload = json.dumps({"model": model, "messages": messages, "params": params},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class JudgeCache:
    """Thread-safe get/put of answer texts; `directory=None` keeps it in memory only.

    The memory layer keeps the `memory_entries` most recently used answers (the store keeps all).
    """

    def __init__(self, directory: str | Path | None = None, *, busy_timeout_s: float = 30.0,
                 memory_entries: int = 50_000):
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._memory_entries = max(1, memory_entries)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.path: Path | None = None
        if directory is not None:
            path = Path(directory).expanduser() / DB_NAME
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = self._open(path, busy_timeout_s)
                self.path = path
            except (OSError, sqlite3.Error) as exc:
                # e.g. a read-only folder, or a network file system shared by several nodes, where
                # SQLite's locks and WAL do not work: the run goes on with the memory layer.
                log.warning("judge cache %s cannot be used (%s); judge answers are cached in memory only for "
                            "this run. Give --judge-cache-dir a writable folder on a local disk.", path, exc)

    @staticmethod
    def _open(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
        """Connect and set the store up; several processes may do this at the same moment.

        Switching a new file to WAL needs an exclusive lock and SQLite answers "database is locked"
        at once, without waiting out the busy timeout, when another process is doing the same
        (seen with two training ranks sharing <output_dir>/judge_cache). So the set-up is retried
        until `busy_timeout_s` has passed.
        """
        db = sqlite3.connect(str(path), timeout=busy_timeout_s, check_same_thread=False,
                             isolation_level=None)  # autocommit: each put is its own transaction
        deadline = time.monotonic() + busy_timeout_s
        delay = 0.01
        while True:
            try:
                JudgeCache._set_up(db, path)
                return db
            except sqlite3.OperationalError as exc:
                if not _is_lock_contention(exc) or time.monotonic() + delay > deadline:
                    db.close()
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    @staticmethod
    def _set_up(db: sqlite3.Connection, path: Path) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; a crash loses at most a few answers
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise RuntimeError(f"judge cache {path} has schema version {version}; this code reads "
                               f"{SCHEMA_VERSION}. Point --judge-cache-dir elsewhere or delete the file.")
        db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                   "answer TEXT NOT NULL, created REAL NOT NULL)")
        db.execute("CREATE INDEX IF NOT EXISTS answers_created ON answers (created)")
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def _remember(self, key: str, answer: str) -> None:
        self._memory[key] = answer
        self._memory.move_to_end(key)
        while len(self._memory) > self._memory_entries:
            self._memory.popitem(last=False)

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit
            if self._db is None:
                return None
            try:
                row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:  # a broken store must not stop training
                log.warning("judge cache read failed (%s); treating as a miss", exc)
                return None
            if row is not None:
                self._remember(key, row[0])
                return row[0]
            return None

    def put(self, key: str, model: str, answer: str) -> None:
        with self._lock:
            self._remember(key, answer)
            if self._db is None:
                return
            try:
                self._db.execute("INSERT OR REPLACE INTO answers (key, model, answer, created) VALUES (?, ?, ?, ?)",
                                 (key, model, answer, time.time()))
            except sqlite3.Error as exc:
                log.warning("judge cache write failed (%s); the answer stays in memory only", exc)

    def discard(self, key: str) -> None:
        """Forget an entry (an answer that no longer parses)."""
        with self._lock:
            self._memory.pop(key, None)
            if self._db is not None:
                try:
                    self._db.execute("DELETE FROM answers WHERE key = ?", (key,))
                except sqlite3.Error as exc:
                    log.warning("judge cache delete failed (%s)", exc)

    def __len__(self) -> int:
        with self._lock:
            if self._db is None:
                return len(self._memory)
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def prune(self, older_than_s: float) -> int:
        """Delete stored answers older than `older_than_s` seconds; returns how many."""
        cutoff = time.time() - older_than_s
        with self._lock:
            self._memory.clear()
            if self._db is None:
                return 0
            removed = self._db.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return removed

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                try:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:
                    pass  # another process holds the WAL; it will checkpoint
                self._db.close()
                self._db = None
