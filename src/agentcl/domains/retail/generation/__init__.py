"""Seeded generator of the retail domain's default data: db.json, tasks.json, splits, policy.

Same seed, same bytes. Task i comes from family FAMILIES[i % len(FAMILIES)], or the next family
that finds a fitting case in the DB; one module per family builds it (see context.py for what
they share). Every task is verified (check-data's verifier) before anything is written.
"""

from __future__ import annotations

import random
from pathlib import Path

from ...generation import GeneratedTask, Verifier, family_registry, generated_task, require_verified, write_domain_files
from ..build_db import build_db
from ..data_model import validate_db
from ..policy import POLICY
from . import cancel, info, item_changes, modify_payment, order_address, refuse, returns, transfer, user_address
from .context import TaskContext

DEFAULT_NUM_TASKS = 100

# The families, in the order the generator cycles through them (their names start the task ids).
FAMILIES = family_registry([
    cancel.FAMILY, order_address.FAMILY, item_changes.MODIFY_ITEMS, modify_payment.FAMILY, user_address.FAMILY,
    returns.RETURN, returns.RETURN_GIFT_CARD, item_changes.EXCHANGE, refuse.FAMILY, info.FAMILY, transfer.FAMILY,
])


def users_for(num_tasks: int) -> int:
    """Enough users that most tasks get a user of their own (~2.5 per task, 30 at least)."""
    return max(30, (5 * num_tasks) // 2)


def build_tasks(db: dict, rng: random.Random, num_tasks: int) -> list[GeneratedTask]:
    """Cycle through the families; a family with no fitting case hands over to the next."""
    ctx = TaskContext(db=db, rng=rng)
    families = list(FAMILIES.values())
    tasks = []
    for index in range(num_tasks):
        for offset in range(len(families)):
            family = families[(index + offset) % len(families)]
            task = family.build(ctx, f"retail_{family.name}_{index}")
            if task is not None:
                tasks.append(generated_task(task, family))
                break
        else:
            raise RuntimeError(f"no task family fits the generated database for task {index}")
    return tasks


def generate(out_dir: Path, seed: int, num_tasks: int, verify: Verifier) -> None:
    if num_tasks < 1:
        raise ValueError(f"num_tasks must be at least 1, got {num_tasks}")
    rng = random.Random(seed)
    db = build_db(rng, users_for(num_tasks))
    validate_db(db)
    tasks = build_tasks(db, rng, num_tasks)
    require_verified(verify, db, tasks)
    write_domain_files(Path(out_dir), db=db, tasks=[t.task for t in tasks], policy=POLICY, seed=seed)
