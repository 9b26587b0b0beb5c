"""Retail task family `transfer`: A problem outside the tools' reach: the agent checks the order and transfers."""

from __future__ import annotations

from ...generation import TaskFamily
from .context import TaskContext, GoldActions, make_task, authenticate, refer_to_order, describe_item, Task


def transfer_request(ctx: TaskContext, task_id: str) -> Task | None:
    """A problem outside the tools' reach: the agent checks the order and transfers."""
    variant = ctx.next_variant("transfer", 3)
    statuses = [("delivered",), ("pending", "processed", "delivered"), ("delivered",)][variant]
    for user in ctx.users():
        orders = ctx.orders_of(user, *statuses)
        if not orders:
            continue
        order = ctx.rng.choice(orders)
        item = ctx.rng.choice(order["items"])
        gold = GoldActions(task_id)
        known, unknown = authenticate(ctx, user, gold)
        order_text = refer_to_order(ctx, user, order, gold, allow_forgetting=False)
        if variant == 0:
            purpose = "Transfer a missing parcel to a human agent"
            reason = ("Your order is shown as delivered but the parcel never arrived. You want someone to "
                      "investigate; you do not want a return or an exchange.")
            summary = f"Order {order['order_id']} is marked delivered but the parcel never arrived."
        elif variant == 1:
            purpose = "Transfer a duplicate charge dispute to a human agent"
            reason = ("Your bank statement shows two charges for your order and you want the extra charge "
                      "investigated by a person.")
            summary = f"The user reports being charged twice for order {order['order_id']}."
        else:
            purpose = "Transfer a damaged item complaint to a human agent"
            reason = (f"{describe_item(item)[0].upper()}{describe_item(item)[1:]} in your order arrived broken. You "
                      "want a replacement shipped before sending anything back, and you ask to speak to a "
                      "human agent about it; you do not want a normal return or exchange.")
            summary = f"{item['name']} in order {order['order_id']} arrived damaged; the user wants a replacement."
        gold.add("transfer_to_human_agents", compare_args=[], summary=summary)
        return make_task(task_id, ctx, purpose, {
            "reason_for_call": reason,
            "known_info": f"{known} {order_text}",
            "unknown_info": unknown,
            "task_instructions": "Give the agent one piece of information at a time, when asked. If you are "
                                 "transferred to a human agent, end the conversation.",
        }, gold, ["DB", "ACTION"], nl_assertions=["The agent transfers the user to a human agent."])
    return None


FAMILY = TaskFamily("transfer", transfer_request, writes=False)
