"""Retail task families `modify_items` and `exchange`: other options of the same products, for
the items of a pending order (changed before shipping) or of a delivered one (exchanged)."""

from __future__ import annotations

from ...generation import TaskFamily
from ..tools import money
from .context import (
    GoldActions,
    Task,
    TaskContext,
    authenticate,
    confirm_instructions,
    describe_payment,
    difference_payment,
    make_task,
    pick_item_changes,
    refer_to_order,
)


def _item_change_task(ctx: TaskContext, task_id: str, *, status: str, tool: str, allow_forgetting: bool,
                      purpose: str, reason: str) -> Task | None:
    """The first order of `status` with items that have an available other option; `reason` is
    formatted with `asks` (what the user wants instead)."""
    for user in ctx.users():
        for order in ctx.orders_of(user, status):
            changes = pick_item_changes(ctx, order)
            if not changes:
                continue
            difference = money(sum(v["price"] - item["price"] for item, v, _ in changes))
            method = difference_payment(ctx, user, order, difference)
            if method is None:
                continue
            gold = GoldActions(task_id)
            known, unknown = authenticate(ctx, user, gold)
            order_text = refer_to_order(ctx, user, order, gold, allow_forgetting=allow_forgetting)
            for product_id in dict.fromkeys(item["product_id"] for item, _, _ in changes):
                gold.add("get_product_details", product_id=product_id)
            gold.add(tool, order_id=order["order_id"],
                     item_ids=[item["item_id"] for item, _, _ in changes],
                     new_item_ids=[v["item_id"] for _, v, _ in changes],
                     payment_method_id=method["id"])
            asks = "; ".join(ask for _, _, ask in changes)
            return make_task(task_id, ctx, purpose, {
                "reason_for_call": reason.format(asks=asks),
                "known_info": f"{known} {order_text} Use {describe_payment(method)} for any price difference.",
                "unknown_info": unknown,
                "task_instructions": confirm_instructions(
                    "If the exact option you want is not available, keep the item as it is."),
            }, gold, ["DB"])
    return None


def modify_order_items(ctx: TaskContext, task_id: str) -> Task | None:
    return _item_change_task(
        ctx, task_id, status="pending", tool="modify_pending_order_items", allow_forgetting=False,
        purpose="Change item options of a pending order in one call",
        reason="Your order has not shipped yet and you want to change {asks}. Those are all the changes you want.")


def exchange_delivered(ctx: TaskContext, task_id: str) -> Task | None:
    return _item_change_task(
        ctx, task_id, status="delivered", tool="exchange_delivered_order_items", allow_forgetting=True,
        purpose="Exchange delivered items for other options of the same product",
        reason="You received your order and want to exchange {asks}. Those are all the items you want to exchange.")


MODIFY_ITEMS = TaskFamily("modify_items", modify_order_items, writes=True)
EXCHANGE = TaskFamily("exchange", exchange_delivered, writes=True)
