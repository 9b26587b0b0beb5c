"""Retail task family `modify_payment`: Move a pending order to another payment method."""

from __future__ import annotations

from ...generation import TaskFamily
from .context import (
    GoldActions,
    Task,
    TaskContext,
    authenticate,
    confirm_instructions,
    describe_payment,
    make_task,
    refer_to_order,
)


def modify_order_payment(ctx: TaskContext, task_id: str) -> Task | None:
    for user in ctx.users():
        for order in ctx.orders_of(user, "pending"):
            current = order["payment_history"][0]["payment_method_id"]
            options = [m for mid, m in sorted(user["payment_methods"].items()) if mid != current
                       and (m["source"] != "gift_card" or m["balance"] >= order["payment_history"][0]["amount"])]
            if not options:
                continue
            method = ctx.rng.choice(options)
            gold = GoldActions(task_id)
            known, unknown = authenticate(ctx, user, gold)
            gold.add("get_user_details", user_id=user["user_id"])
            order_text = refer_to_order(ctx, user, order, gold, allow_forgetting=False)
            gold.add("modify_pending_order_payment", order_id=order["order_id"], payment_method_id=method["id"])
            return make_task(task_id, ctx, "Move a pending order to another payment method", {
                "reason_for_call": f"You want to pay your pending order with {describe_payment(method)} instead "
                                   "of the payment method you used.",
                "known_info": f"{known} {order_text}",
                "unknown_info": unknown,
                "task_instructions": confirm_instructions(),
            }, gold, ["DB"])
    return None


FAMILY = TaskFamily("modify_payment", modify_order_payment, writes=True)
