"""Finding the checkpoint to resume a stage from, after any kind of interruption.

The Trainer writes a checkpoint's files one by one and `trainer_state.json` last, so a kill while
saving leaves a `checkpoint-N` folder without it (or with a torn one). transformers'
`get_last_checkpoint` would still pick that folder, and resuming from it fails. The main process
removes such folders first; the others wait, then everyone resumes from the last whole one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any


def prune_incomplete_checkpoints(checkpoint_dir: Path) -> list[Path]:
    """Remove the checkpoint-N folders whose trainer_state.json is missing or unreadable."""
    removed = []
    for folder in sorted(checkpoint_dir.glob("checkpoint-*")) if checkpoint_dir.is_dir() else []:
        try:
            json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
            continue
        except (OSError, ValueError):
            pass
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def last_complete_checkpoint(checkpoint_dir: Path, state: Any) -> str | None:
    """The latest loadable checkpoint in `checkpoint_dir` (None if there is none).

    `state` is the process state (accelerate's PartialState): only its main process deletes, every
    process returns the same answer.
    """
    from transformers.trainer_utils import get_last_checkpoint

    if state.is_main_process:
        for folder in prune_incomplete_checkpoints(checkpoint_dir):
            print(f"removed the incomplete checkpoint {folder} left by an interrupted run", flush=True)
    if state.num_processes > 1:
        state.wait_for_everyone()
    return get_last_checkpoint(str(checkpoint_dir)) if checkpoint_dir.is_dir() else None
