"""Seeded generator of the retail domain's default data: db.json, tasks.json, splits, policy.

Same seed, same bytes. Every task is checked before it is written: its gold actions replay on
the DB without a tool error, and a write task changes the DB (a question or refusal does not).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ...environment import Database
from ...errors import ToolError
from ..generation import write_domain_files
from .build_db import build_db
from .data_model import validate_db
from .policy import POLICY
from .task_templates import TEMPLATES, WRITE_TEMPLATES, TaskContext
from .tools import RetailTools

DEFAULT_NUM_TASKS = 100


def users_for(num_tasks: int) -> int:
    """Enough users that most tasks get a user of their own (~2.5 per task, 30 at least)."""
    return max(30, (5 * num_tasks) // 2)


def build_tasks(db: dict[str, Any], rng: random.Random, num_tasks: int) -> list[dict[str, Any]]:
    """Cycle through the templates; a template with no fitting case hands over to the next."""
    ctx = TaskContext(db=db, rng=rng)
    tasks = []
    for index in range(num_tasks):
        for offset in range(len(TEMPLATES)):
            kind, template = TEMPLATES[(index + offset) % len(TEMPLATES)]
            task = template(ctx, f"retail_{kind}_{index}")
            if task is not None:
                tasks.append(task)
                break
        else:
            raise RuntimeError(f"no template fits the generated database for task {index}")
    return tasks


def replay_gold(tools: RetailTools, db: Database, task: dict[str, Any]) -> Database:
    """Run a task's gold actions on a copy of db; a tool error here is a generator bug."""
    tools.db = db.copy()  # one toolkit for all tasks: building one costs more than a DB copy
    for action in task["evaluation_criteria"]["actions"]:
        try:
            tools.call_tool(action["name"], action["arguments"])
        except ToolError as exc:
            raise RuntimeError(f"task {task['id']}: gold action {action['name']} failed: {exc}") from None
    return tools.db


def check_tasks(db: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
    base = Database(db)
    tools = RetailTools(base)
    for task in tasks:
        kind = task["id"].rsplit("_", 1)[0].removeprefix("retail_")
        changed = replay_gold(tools, base, task).data != db  # plain equality: much faster than hashing
        if changed != (kind in WRITE_TEMPLATES):
            raise RuntimeError(f"task {task['id']}: gold replay {'changed' if changed else 'did not change'} the DB")


def generate(out_dir: Path, seed: int = 0, num_tasks: int = DEFAULT_NUM_TASKS) -> None:
    if num_tasks < 1:
        raise ValueError(f"num_tasks must be at least 1, got {num_tasks}")
    rng = random.Random(seed)
    db = build_db(rng, users_for(num_tasks))
    validate_db(db)
    tasks = build_tasks(db, rng, num_tasks)
    check_tasks(db, tasks)
    write_domain_files(Path(out_dir), db=db, tasks=tasks, policy=POLICY, seed=seed)
