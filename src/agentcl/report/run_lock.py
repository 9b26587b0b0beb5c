"""One process at a time in a run directory: a lock held for the run's life.

    with hold_run_dir(output_dir, is_main=state.is_main_process):
        ... the whole run (config.yaml, training, evaluation, report) ...

The lock is an OS file lock (`filelock`, flock on `<run_dir>/.run.lock`): the kernel drops it when
its process ends in any way, SIGKILL included, so a killed run never blocks `--resume`. Beside it,
`.run.lock.json` records the holder (pid, host, start time, command line); a second process is
refused with a RunDirInUseError naming that holder. Only the main process of a multi-process run
takes the lock (the other ranks pass through at once, so nothing waits on it).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock, Timeout

from ..errors import AgentclError
from ..secrets import redact
from ..output_errors import DISK_ERRNOS, OutputWriteError, explain_write_failure, writing

log = logging.getLogger(__name__)

LOCK_FILE = ".run.lock"
HOLDER_FILE = ".run.lock.json"


class RunDirInUseError(AgentclError):
    """Another live process holds the run directory."""


def read_holder(run_dir: str | Path) -> dict[str, Any] | None:
    """What the last holder recorded (it may be stale when no process holds the lock now)."""
    try:
        return json.loads((Path(run_dir) / HOLDER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "another process (it has not recorded itself yet)"
    return (f"process {holder.get('pid')} on host {holder.get('host')}, started {holder.get('started_at')} "
            f"({holder.get('command', '?')})")


@contextmanager
def hold_run_dir(run_dir: str | Path, *, is_main: bool = True) -> Iterator[Path | None]:
    """Hold `run_dir` for the body (created if missing); raise RunDirInUseError when a live process
    holds it. Yields the lock file's path (None on a non-main process, or where the file system
    offers no locks: then a warning says the directory is unguarded)."""
    if not is_main:
        yield None
        return
    run_dir = Path(run_dir)
    with writing(run_dir):
        run_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(run_dir / LOCK_FILE, timeout=0, thread_local=False, fallback_to_soft=False)
    try:
        lock.acquire()
    except Timeout:
        raise RunDirInUseError(
            f"run directory {run_dir} is in use by {_describe(read_holder(run_dir))}; wait for that run to end "
            "(or stop it) before resuming, or choose another --output-dir") from None
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:  # a full or read-only disk: say so now, nothing could be written anyway
            raise OutputWriteError(explain_write_failure(exc, run_dir / LOCK_FILE)) from exc
        # a file system without flock: run, but say that nothing guards the directory
        log.warning("could not lock run directory %s (%s); make sure no other run writes to it", run_dir, exc)
        yield None
        return
    try:
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "command": redact(" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]))[:500]}
        with writing(run_dir / HOLDER_FILE):
            (run_dir / HOLDER_FILE).write_text(json.dumps(holder, indent=1) + "\n", encoding="utf-8")
        yield run_dir / LOCK_FILE
    finally:
        lock.release()
