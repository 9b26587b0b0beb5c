"""Shared pieces of the seeded default-data generators: splits and deterministic file writing."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from .base import dump_json

TEST_FRACTION = 0.3


def make_splits(task_ids: list[str], seed: int, test_fraction: float = TEST_FRACTION) -> dict[str, list[str]]:
    """train/test/base splits: a seeded shuffle, test gets `test_fraction` (at least one task)."""
    order = list(task_ids)
    random.Random(f"split-{seed}").shuffle(order)
    n_test = max(1, round(len(order) * test_fraction)) if len(order) > 1 else 0
    test = set(order[:n_test])
    return {
        "train": [t for t in task_ids if t not in test],
        "test": [t for t in task_ids if t in test],
        "base": list(task_ids),
    }


def write_domain_files(
    out_dir: Path,
    *,
    db: dict[str, Any],
    tasks: list[dict[str, Any]],
    policy: str,
    seed: int,
    user_db: dict[str, Any] | None = None,
    extra_files: dict[str, str] | None = None,
) -> None:
    """Write a τ²-format domain folder: db.json, [user_db.json], tasks.json, split_tasks.json, policy.md."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dump_json(out_dir / "db.json", db)
    if user_db is not None:
        dump_json(out_dir / "user_db.json", user_db)
    dump_json(out_dir / "tasks.json", tasks)
    dump_json(out_dir / "split_tasks.json", make_splits([t["id"] for t in tasks], seed))
    (out_dir / "policy.md").write_text(policy.strip() + "\n", encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (out_dir / name).write_text(text.strip() + "\n", encoding="utf-8")
