"""Retail task family `info`: A question answered from the DB; the answer must appear in the agent's messages."""

from __future__ import annotations

from ...generation import TaskFamily
from .context import (
    GoldActions,
    Task,
    TaskContext,
    authenticate,
    describe_item,
    describe_options,
    make_task,
    money_text,
    refer_to_order,
)


def answer_question(ctx: TaskContext, task_id: str) -> Task | None:
    """A question answered from the DB; the answer must appear in the agent's messages."""
    variant = ctx.next_variant("info", 4)
    for user in ctx.users():
        gold = GoldActions(task_id)
        if variant == 0:
            orders = ctx.orders_of(user, "pending", "processed", "delivered")
            if not orders:
                continue
            order = ctx.rng.choice(orders)
            known, unknown = authenticate(ctx, user, gold)
            order_text = refer_to_order(ctx, user, order, gold)
            purpose = "Tell the user the total of an order"
            question = "You want to know how much you paid in total for your order."
            answer, known = money_text(order["payment_history"][0]["amount"]), f"{known} {order_text}"
        elif variant == 1:
            orders = [o for o in ctx.orders_of(user, "processed", "delivered") if o["fulfillments"]]
            if not orders:
                continue
            order = ctx.rng.choice(orders)
            parcel = ctx.rng.choice(order["fulfillments"])
            item = next(i for i in order["items"] if i["item_id"] == parcel["item_ids"][0])
            known, unknown = authenticate(ctx, user, gold)
            order_text = refer_to_order(ctx, user, order, gold)
            purpose = "Tell the user a tracking number"
            question = f"You want the tracking number of the parcel that holds {describe_item(item)}."
            answer, known = parcel["tracking_id"][0], f"{known} {order_text}"
        elif variant == 2:
            cards = [m for _, m in sorted(user["payment_methods"].items()) if m["source"] == "gift_card"]
            if not cards:
                continue
            known, unknown = authenticate(ctx, user, gold)
            gold.add("get_user_details", user_id=user["user_id"])
            purpose = "Tell the user their gift card balance"
            question = "You want to know the balance left on your gift card."
            answer = money_text(cards[0]["balance"])
        else:
            products = sorted(ctx.db["products"].values(), key=lambda p: p["product_id"])
            product = ctx.rng.choice(products)
            variants = [v for _, v in sorted(product["variants"].items()) if v["available"]]
            if not variants:
                continue
            variant_item = ctx.rng.choice(variants)
            known, unknown = authenticate(ctx, user, gold)
            gold.add("list_all_product_types")
            gold.add("get_product_details", product_id=product["product_id"])
            purpose = "Tell the user the price of a product variant"
            question = (f"You are thinking of buying a {product['name']} with "
                        f"{describe_options(variant_item['options'])} and want to know its price.")
            answer = money_text(variant_item["price"])
        return make_task(task_id, ctx, purpose, {
            "reason_for_call": question + " You do not want to change anything.",
            "known_info": known,
            "unknown_info": unknown,
            "task_instructions": "Give the agent one piece of information at a time, when asked. End the "
                                 "conversation once you have the answer.",
        }, gold, ["DB", "COMMUNICATE"], communicate=[answer])
    return None


FAMILY = TaskFamily("info", answer_question, writes=False)
