"""Write failures at the output boundary, said plainly: which path, and whether the disk is full
or the file system read-only.

    with writing(run_dir / "results.json"):      # any write of a run's outputs
        ...

turns an OSError of a write (ENOSPC, EDQUOT, EROFS, EACCES, EPERM) — and torch's errno-less
`RuntimeError` of a failed checkpoint write (`basic_ios::clear: iostream error`,
`PytorchStreamWriter failed writing file ...`) — into an OutputWriteError naming the path. Every
command ends such an error with one line and exit code 2 (`errors.run_command`); what was written
before it (the results journal, earlier checkpoints) stays, so `--resume` continues once space is
freed. Other exceptions pass through unchanged.
"""

from __future__ import annotations

import errno
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import AgentclError

FULL = {errno.ENOSPC, errno.EDQUOT}
READ_ONLY = {errno.EROFS}
DENIED = {errno.EACCES, errno.EPERM}
DISK_ERRNOS = FULL | READ_ONLY  # never anything but a write failure, wherever they come from
_TORCH_WRITE_MARKERS = ("iostream error", "PytorchStreamWriter", "file write failed", "unexpected pos")
LOW_SPACE_BYTES = 64 * 2**20


class OutputWriteError(AgentclError, OSError):
    """A run output could not be written; the message names the path and the likely cause."""


def _existing_parent(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate if candidate.is_dir() else candidate.parent
    return Path(".")


def _probable_cause(path: Path) -> str:
    """For a failure without an errno: look at the disk."""
    where = _existing_parent(path)
    if not os.access(where, os.W_OK):
        return f"the file system is read-only or {where} is not writable"
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return "the disk may be full or read-only"
    if free < LOW_SPACE_BYTES:
        return f"the disk is full ({free / 2**20:.0f} MiB free)"
    return "the disk may be full or read-only"


def explain_write_failure(exc: BaseException, path: str | Path | None = None) -> str | None:
    """A one-line explanation when `exc` is a failed write, else None."""
    if isinstance(exc, OutputWriteError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno is not None:
        where = exc.filename or path
        if exc.errno in FULL:
            cause = "the disk is full (no space left on device)"
        elif exc.errno in READ_ONLY:
            cause = "the file system is read-only"
        elif exc.errno in DENIED:
            cause = "permission denied: the directory is read-only for this user"
        else:
            return None
        return f"could not write {where}: {cause} ({os.strerror(exc.errno)})"
    if isinstance(exc, RuntimeError) and path is not None and any(m in str(exc) for m in _TORCH_WRITE_MARKERS):
        return f"could not write {path}: {_probable_cause(Path(path))} ({str(exc).splitlines()[0][:200]})"
    return None


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Convert a failed write under `path` into an OutputWriteError naming it (see module doc)."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, OutputWriteError):
            raise
        message = explain_write_failure(exc, path)
        if message is None:
            raise
        raise OutputWriteError(message) from exc
