"""Retail task family `user_address`: Change the user's default address."""

from __future__ import annotations

from ...generation import TaskFamily
from ..build_db import random_address
from .context import (
    GoldActions,
    Task,
    TaskContext,
    address_args,
    authenticate,
    confirm_instructions,
    describe_address,
    make_task,
)


def modify_user_address(ctx: TaskContext, task_id: str) -> Task | None:
    user = ctx.users()[0]
    new_address = random_address(ctx.rng)
    gold = GoldActions(task_id)
    known, unknown = authenticate(ctx, user, gold)
    gold.add("get_user_details", user_id=user["user_id"])
    gold.add("modify_user_address", user_id=user["user_id"], **address_args(new_address))
    return make_task(task_id, ctx, "Change the user's default address", {
        "reason_for_call": "You moved and want your default address on your profile updated. "
                           "You do not want to change any existing order.",
        "known_info": f"{known} Your new address is {describe_address(new_address)}",
        "unknown_info": unknown,
        "task_instructions": confirm_instructions(),
    }, gold, ["DB"])


FAMILY = TaskFamily("user_address", modify_user_address, writes=True)
