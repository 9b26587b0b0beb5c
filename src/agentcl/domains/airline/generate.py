"""Seeded generator of the airline domain's default data: db.json, tasks.json, splits, policy.md.

One seed gives byte-identical files. Every generated task is proved solvable before anything
is written: its gold actions replay on the DB without a tool error, and write tasks change the
DB while read-only tasks leave it as it was.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ...data_model import ToolCall
from ...environment import Database, Environment
from ..generation import write_domain_files
from .data_model import validate_airline_db
from .policy import POLICY
from .task_templates import TEMPLATES, TaskMaker
from .tools import AirlineTools
from .world import World, build_background_reservations, build_flights, build_users

USERS_PER_TASK = 1.2  # background users per task (at least MIN_USERS)
MIN_USERS = 40


class GenerationError(RuntimeError):
    """A generated task's gold actions did not replay as they must."""


def build_world(seed: int, num_tasks: int) -> tuple[World, list[dict[str, Any]]]:
    """The DB and the tasks, before verification."""
    rng = random.Random(f"airline-{seed}")
    world = World(rng)
    build_flights(world)
    build_users(world, max(MIN_USERS, round(num_tasks * USERS_PER_TASK)))
    build_background_reservations(world)
    maker = TaskMaker(world, random.Random(f"airline-tasks-{seed}"))
    for i in range(num_tasks):
        template, variants = TEMPLATES[i % len(TEMPLATES)]
        variant = variants[(i // len(TEMPLATES)) % len(variants)]
        getattr(maker, template)(f"{template}_{i}", variant)
    return world, maker.tasks


def verify_tasks(db: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
    """Replay every task's gold actions on a fresh copy of `db`; raise on the first that fails."""
    base = Database(db)
    start_hash = base.hash()
    for task in tasks:
        env = Environment("airline", POLICY, AirlineTools(base.copy()))
        writes = False
        for action in task["evaluation_criteria"]["actions"]:
            result = env.get_response(ToolCall(name=action["name"], arguments=action["arguments"]))
            if result.error:
                raise GenerationError(f"task {task['id']}: gold action {action['name']} failed: {result.content}")
            writes |= env.agent_tools.tool_kind(action["name"]).value == "write"
        changed = env.agent_db_hash() != start_hash
        if changed != writes:
            raise GenerationError(f"task {task['id']}: gold actions {'changed' if changed else 'did not change'} "
                                  f"the DB although they {'do' if writes else 'do not'} include writes")


def generate(out_dir: Path, seed: int = 0, num_tasks: int = 100) -> None:
    """Write the airline domain files for `seed` into `out_dir`."""
    if num_tasks < 1:
        raise ValueError("num_tasks must be at least 1")
    world, tasks = build_world(seed, num_tasks)
    db = world.db()
    validate_airline_db(db)
    verify_tasks(db, tasks)
    write_domain_files(Path(out_dir), db=db, tasks=tasks, policy=POLICY, seed=seed)
