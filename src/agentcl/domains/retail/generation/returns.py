"""Retail task families `return` and `return_gift_card`: return delivered items, refunded to the
original payment method or to a gift card."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..tools import money
from .context import (
    GoldActions,
    Task,
    TaskContext,
    authenticate,
    confirm_instructions,
    describe_item,
    make_task,
    money_text,
    refer_to_order,
)


def _return_items(ctx: TaskContext, order: dict[str, Any]) -> list[dict[str, Any]]:
    items = order["items"]
    count = ctx.rng.randint(1, min(3, len(items)))
    chosen = ctx.rng.sample(items, count)
    return [item for item in items if item in chosen]  # keep the order's own item order


def _return_task(ctx: TaskContext, task_id: str, to_gift_card: bool) -> Task | None:
    for user in ctx.users():
        methods = user["payment_methods"]
        gift_cards = sorted(m for m in methods if methods[m]["source"] == "gift_card")
        for order in ctx.orders_of(user, "delivered"):
            original = order["payment_history"][0]["payment_method_id"]
            if to_gift_card:
                targets = [g for g in gift_cards if g != original]
                if not targets:
                    continue
                method = methods[targets[0]]
            else:
                if original not in methods:
                    continue
                method = methods[original]
            items = _return_items(ctx, order)
            refund = money(sum(item["price"] for item in items))
            gold = GoldActions(task_id)
            known, unknown = authenticate(ctx, user, gold)
            order_text = refer_to_order(ctx, user, order, gold)
            gold.add("return_delivered_order_items", order_id=order["order_id"],
                     item_ids=[item["item_id"] for item in items], payment_method_id=method["id"])
            what = "; ".join(describe_item(item) for item in items)
            if to_gift_card:
                return make_task(task_id, ctx, "Return delivered items with the refund on a gift card", {
                    "reason_for_call": f"You received your order and want to return {what}. You want the "
                                       "refund on your gift card, not on the card or account you paid with.",
                    "known_info": f"{known} {order_text}",
                    "unknown_info": unknown,
                    "task_instructions": confirm_instructions("Return only these items."),
                }, gold, ["DB"])
            return make_task(task_id, ctx, "Return delivered items to the original payment method", {
                "reason_for_call": f"You received your order and want to return {what}. The refund should go "
                                   "back to how you paid. Ask how much money you will get back.",
                "known_info": f"{known} {order_text}",
                "unknown_info": unknown,
                "task_instructions": confirm_instructions("Return only these items."),
            }, gold, ["DB", "COMMUNICATE"], communicate=[money_text(refund)])
    return None


def return_to_original(ctx: TaskContext, task_id: str) -> Task | None:
    return _return_task(ctx, task_id, to_gift_card=False)


def return_to_gift_card(ctx: TaskContext, task_id: str) -> Task | None:
    return _return_task(ctx, task_id, to_gift_card=True)


RETURN = TaskFamily("return", return_to_original, writes=True)
RETURN_GIFT_CARD = TaskFamily("return_gift_card", return_to_gift_card, writes=True)
