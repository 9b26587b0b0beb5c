"""What every seeded task generator shares: task families, the generated-task record, splits, files.

A domain's generator lives in `domains/<name>/generation/` (one small module per task family) and
is imported only when data is generated (`agentcl generate`), never when a domain loads.

- `TaskFamily`: one kind of task: its name (the task ids start with it), its variants, whether its
  gold actions write to the database, and `build(context, task_id, variant)` -> a task dict or None
  when the data holds no fitting case.
- `generated_task`: validates a built task dict against the τ² task model and records its family.
- `Verifier`: the one verifier of tasks (`agentcl.check_data.verify_generated`, passed in by the
  `generate` command, so the domains stay below the command layer). It returns the problems of
  each task that fails; a generator raises `GenerationError` on any, or (telecom) draws again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

from pydantic import ValidationError

from ..data_model import Task
from .base import dump_json

TEST_FRACTION = 0.3


class GenerationError(RuntimeError):
    """A generated task is malformed or failed verification (a generator bug)."""


@dataclass(frozen=True)
class TaskFamily:
    name: str
    # build(context, task_id, [variant]) -> task dict, or None when nothing fits. None here: the
    # domain's generator builds this family's tasks in its own loop (mock, telecom).
    build: Callable[..., "dict[str, Any] | None"] | None
    writes: bool | None  # whether the gold actions must change the database (None: it depends on the task)
    variants: tuple[str, ...] = ("",)


@dataclass
class GeneratedTask:
    task: dict[str, Any]  # written to tasks.json as it is
    family: TaskFamily
    needed: dict[str, list[int]] = field(default_factory=dict)  # gold-action groups the task cannot do without

    @property
    def id(self) -> str:
        return self.task["id"]


def generated_task(task: dict[str, Any], family: TaskFamily, needed: dict[str, list[int]] | None = None) -> GeneratedTask:
    """The task, checked against the τ² task model (a malformed task is a generator bug)."""
    try:
        Task.model_validate(task)
    except ValidationError as exc:
        raise GenerationError(f"family {family.name!r} built an invalid task {task.get('id')!r}: {exc}") from None
    return GeneratedTask(task, family, dict(needed or {}))


def family_registry(families: Sequence[TaskFamily]) -> dict[str, TaskFamily]:
    """Name -> family, in generation order; names must be unique."""
    registry = {f.name: f for f in families}
    if len(registry) != len(families):
        raise ValueError(f"task family names repeat: {[f.name for f in families]}")
    return registry


class Verifier(Protocol):
    def __call__(self, db: dict[str, Any], tasks: Sequence[GeneratedTask],
                 user_db: dict[str, Any] | None = None) -> Mapping[str, list[str]]: ...


def require_verified(verify: Verifier, db: dict[str, Any], tasks: Sequence[GeneratedTask],
                     user_db: dict[str, Any] | None = None) -> None:
    """Raise on the first task that fails verification."""
    problems = verify(db, tasks, user_db)
    for task_id, found in problems.items():
        raise GenerationError(f"generated task {task_id}: {'; '.join(found)}")


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
    policy: str | None,
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
    if policy is not None:
        (out_dir / "policy.md").write_text(policy.strip() + "\n", encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (out_dir / name).write_text(text.strip() + "\n", encoding="utf-8")
