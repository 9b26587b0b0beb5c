"""Retail task family `exchange`: Exchange delivered items for other options of the same product."""

from __future__ import annotations

from ...generation import TaskFamily
from ..tools import money
from .context import TaskContext, GoldActions, make_task, authenticate, refer_to_order, describe_payment, difference_payment, pick_item_changes, confirm_instructions, Task


def exchange_delivered(ctx: TaskContext, task_id: str) -> Task | None:
    for user in ctx.users():
        for order in ctx.orders_of(user, "delivered"):
            changes = pick_item_changes(ctx, order)
            if not changes:
                continue
            difference = money(sum(v["price"] - item["price"] for item, v, _ in changes))
            method = difference_payment(ctx, user, order, difference)
            if method is None:
                continue
            gold = GoldActions(task_id)
            known, unknown = authenticate(ctx, user, gold)
            order_text = refer_to_order(ctx, user, order, gold)
            for product_id in dict.fromkeys(item["product_id"] for item, _, _ in changes):
                gold.add("get_product_details", product_id=product_id)
            gold.add("exchange_delivered_order_items", order_id=order["order_id"],
                     item_ids=[item["item_id"] for item, _, _ in changes],
                     new_item_ids=[v["item_id"] for _, v, _ in changes],
                     payment_method_id=method["id"])
            asks = "; ".join(ask for _, _, ask in changes)
            return make_task(task_id, ctx, "Exchange delivered items for other options of the same product", {
                "reason_for_call": f"You received your order and want to exchange {asks}. Those are all the "
                                   "items you want to exchange.",
                "known_info": f"{known} {order_text} Use {describe_payment(method)} for any price difference.",
                "unknown_info": unknown,
                "task_instructions": confirm_instructions(
                    "If the exact option you want is not available, keep the item as it is."),
            }, gold, ["DB"])
    return None


FAMILY = TaskFamily("exchange", exchange_delivered, writes=True)
