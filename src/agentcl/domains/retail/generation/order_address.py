"""Retail task family `order_address`: Change the shipping address of a pending order."""

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
    refer_to_order,
)


def modify_order_address(ctx: TaskContext, task_id: str) -> Task | None:
    for user in ctx.users():
        orders = ctx.orders_of(user, "pending")
        if not orders:
            continue
        order = ctx.rng.choice(orders)
        new_address = random_address(ctx.rng)
        if new_address == order["address"]:
            continue
        gold = GoldActions(task_id)
        known, unknown = authenticate(ctx, user, gold)
        order_text = refer_to_order(ctx, user, order, gold, allow_forgetting=False)
        gold.add("modify_pending_order_address", order_id=order["order_id"], **address_args(new_address))
        return make_task(task_id, ctx, "Change the shipping address of a pending order", {
            "reason_for_call": "You will be away from home and want your pending order shipped to a different "
                               "address. Only this order changes; your default address stays as it is.",
            "known_info": f"{known} {order_text} The new shipping address is {describe_address(new_address)}",
            "unknown_info": unknown,
            "task_instructions": confirm_instructions(),
        }, gold, ["DB"])
    return None


FAMILY = TaskFamily("order_address", modify_order_address, writes=True)
