"""Retail task family `refuse`: A request the policy forbids: the agent checks the order and changes nothing."""

from __future__ import annotations

from ...generation import TaskFamily
from .context import TaskContext, GoldActions, make_task, authenticate, refer_to_order, describe_item, Task


def refuse_request(ctx: TaskContext, task_id: str) -> Task | None:
    """A request the policy forbids: the agent checks the order and changes nothing."""
    variant = ctx.next_variant("refuse", 4)
    wanted_status = [("processed", "delivered"), ("pending", "processed"), ("delivered",), ("pending",)][variant]
    for user in ctx.users():
        orders = ctx.orders_of(user, *wanted_status)
        if not orders:
            continue
        order = ctx.rng.choice(orders)
        item = ctx.rng.choice(order["items"])
        gold = GoldActions(task_id)
        known, unknown = authenticate(ctx, user, gold)
        order_text = refer_to_order(ctx, user, order, gold, allow_forgetting=False)
        if variant == 0:
            purpose, reason, assertion = (
                "Refuse to cancel an order that is no longer pending",
                "You want to cancel your order because you no longer need it.",
                f"The agent does not cancel order {order['order_id']} and explains that only pending orders "
                "can be cancelled.")
        elif variant == 1:
            purpose, reason, assertion = (
                "Refuse to return items of an order that has not been delivered",
                f"You want to return {describe_item(item)} from your order right away, for a refund. If the agent "
                "says this is not possible, accept it; do not ask to cancel or change the order instead.",
                f"The agent does not start a return for order {order['order_id']} and explains that only "
                "delivered orders can be returned.")
        elif variant == 2:
            other = ctx.rng.choice(sorted({p["name"] for p in ctx.db["products"].values()} - {item["name"]}))
            purpose, reason, assertion = (
                "Refuse to exchange an item for a different product type",
                f"You want to exchange {describe_item(item)} from your delivered order for a {other} instead. "
                "You are not interested in another option of the same product.",
                "The agent does not exchange the item for a different product type.")
        else:
            purpose, reason, assertion = (
                "Refuse a cancellation reason the policy does not accept",
                "You want to cancel your pending order because you found it cheaper in another shop. If asked "
                "for a reason, give only that reason; do not claim you no longer need it or ordered it by "
                "mistake.",
                f"The agent does not cancel order {order['order_id']} because the reason is not accepted.")
        return make_task(task_id, ctx, purpose, {
            "reason_for_call": reason,
            "known_info": f"{known} {order_text}",
            "unknown_info": unknown,
            "task_instructions": "Give the agent one piece of information at a time, when asked. If the agent "
                                 "refuses, do not insist; end the conversation.",
        }, gold, ["DB"], nl_assertions=[assertion])
    return None


FAMILY = TaskFamily("refuse", refuse_request, writes=False)
