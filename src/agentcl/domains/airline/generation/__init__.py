"""Seeded generator of the airline domain's default data: db.json, tasks.json, splits, policy.md.

One seed gives byte-identical files. Task i comes from family FAMILIES[i % len(FAMILIES)], in
that family's next variant; one module per family builds it (see context.py for what they
share). Every task is verified (check-data's verifier) before anything is written.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ...generation import GeneratedTask, Verifier, family_registry, generated_task, require_verified, write_domain_files
from ..data_model import validate_airline_db
from ..policy import POLICY
from ..world import World, build_background_reservations, build_flights, build_users
from . import (add_baggage, book, cancel_allowed, change_cabin, change_flights, compensation, info, refuse, transfer,
               update_passengers)
from .context import TaskMaker

USERS_PER_TASK = 1.2  # background users per task (at least MIN_USERS)
MIN_USERS = 40

# The families, in the order the generator cycles through them.
FAMILIES = family_registry([m.FAMILY for m in (cancel_allowed, refuse, book, change_flights, change_cabin,
                                                 add_baggage, update_passengers, compensation, info, transfer)])


def build_world(seed: int, num_tasks: int) -> tuple[World, list[GeneratedTask]]:
    """The DB and the tasks, before verification."""
    rng = random.Random(f"airline-{seed}")
    world = World(rng)
    build_flights(world)
    build_users(world, max(MIN_USERS, round(num_tasks * USERS_PER_TASK)))
    build_background_reservations(world)
    maker = TaskMaker(world, random.Random(f"airline-tasks-{seed}"))
    families = list(FAMILIES.values())
    tasks = []
    for i in range(num_tasks):
        family = families[i % len(families)]
        variant = family.variants[(i // len(families)) % len(family.variants)]
        tasks.append(generated_task(family.build(maker, f"{family.name}_{i}", variant), family))
    return world, tasks


def generate(out_dir: Path, seed: int, num_tasks: int, verify: Verifier) -> None:
    """Write the airline domain files for `seed` into `out_dir`."""
    if num_tasks < 1:
        raise ValueError("num_tasks must be at least 1")
    world, tasks = build_world(seed, num_tasks)
    db: dict[str, Any] = world.db()
    validate_airline_db(db)
    require_verified(verify, db, tasks)
    write_domain_files(Path(out_dir), db=db, tasks=[t.task for t in tasks], policy=POLICY, seed=seed)
