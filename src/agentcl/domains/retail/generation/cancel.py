"""Retail task family `cancel`: Cancel a pending order with a valid reason."""

from __future__ import annotations

from ...generation import TaskFamily
from .context import TaskContext, GoldActions, make_task, authenticate, refer_to_order, confirm_instructions, Task


def cancel_pending(ctx: TaskContext, task_id: str) -> Task | None:
    for user in ctx.users():
        orders = ctx.orders_of(user, "pending")
        if not orders:
            continue
        order = ctx.rng.choice(orders)
        reason = ctx.rng.choice(["no longer needed", "ordered by mistake"])
        why = "you no longer need it" if reason == "no longer needed" else "you ordered it by mistake"
        gold = GoldActions(task_id)
        known, unknown = authenticate(ctx, user, gold)
        order_text = refer_to_order(ctx, user, order, gold)
        gold.add("cancel_pending_order", order_id=order["order_id"], reason=reason)
        items = ", ".join(item["name"] for item in order["items"])
        return make_task(task_id, ctx, "Cancel a pending order with a valid reason", {
            "reason_for_call": f"You want to cancel your pending order ({items}) because {why}.",
            "known_info": f"{known} {order_text}",
            "unknown_info": unknown,
            "task_instructions": confirm_instructions(),
        }, gold, ["DB"])
    return None


FAMILY = TaskFamily("cancel", cancel_pending, writes=True)
