"""Task templates of the retail generator: each picks a fitting user and order from the DB and
computes the gold actions, the user's scenario and the evaluation criteria from it.

A template returns None when the DB holds no fitting case (the generator then moves on). Every
template starts from the same DB: tasks are independent and never see each other's writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

from .build_db import random_address
from .catalog import PERSONAS
from .tools import money

Task = dict[str, Any]


# -- shared pieces ------------------------------------------------------------------------------
@dataclass
class TaskContext:
    db: dict[str, Any]
    rng: random.Random
    used_users: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)

    def next_variant(self, kind: str, n: int) -> int:
        """Cycle through a template's n sub-kinds."""
        count = self.counters.get(kind, 0)
        self.counters[kind] = count + 1
        return count % n

    def users(self) -> list[dict[str, Any]]:
        """Users in a seeded random order, those no task has used yet first."""
        users = sorted(self.db["users"].values(), key=lambda u: u["user_id"])
        self.rng.shuffle(users)
        return [u for u in users if u["user_id"] not in self.used_users] + \
               [u for u in users if u["user_id"] in self.used_users]

    def orders_of(self, user: dict[str, Any], *statuses: str) -> list[dict[str, Any]]:
        orders = [self.db["orders"][oid] for oid in user["orders"]]
        return [o for o in orders if not statuses or o["status"] in statuses]

    def product(self, product_id: str) -> dict[str, Any]:
        return self.db["products"][product_id]


class GoldActions:
    """Numbers the gold actions of one task as τ²-bench does: '<task id>_<index>'."""

    def __init__(self, task_id: str):
        self.task_id = task_id
        self.actions: list[dict[str, Any]] = []

    def add(self, name: str, compare_args: list[str] | None = None, **arguments: Any) -> None:
        action: dict[str, Any] = {"action_id": f"{self.task_id}_{len(self.actions)}", "name": name,
                                  "arguments": arguments, "info": None}
        if compare_args is not None:
            action["compare_args"] = compare_args
        self.actions.append(action)


def make_task(task_id: str, ctx: TaskContext, purpose: str, instructions: dict[str, Any], gold: GoldActions,
              reward_basis: list[str], communicate: list[str] | None = None,
              nl_assertions: list[str] | None = None) -> Task:
    return {
        "id": task_id,
        "description": {"purpose": purpose, "relevant_policies": None, "notes": None},
        "user_scenario": {
            "persona": ctx.rng.choice(PERSONAS),
            "instructions": {"domain": "retail", **instructions},
        },
        "initial_state": None,
        "evaluation_criteria": {
            "actions": gold.actions,
            "communicate_info": communicate or [],
            "nl_assertions": nl_assertions or None,
            "reward_basis": reward_basis,
        },
    }


def full_name(user: dict[str, Any]) -> str:
    return f"{user['name']['first_name']} {user['name']['last_name']}"


def authenticate(ctx: TaskContext, user: dict[str, Any], gold: GoldActions) -> tuple[str, str | None]:
    """The user's identity as they know it, and the matching lookup as the first gold action.

    Marks the user as used, so later tasks prefer other users."""
    ctx.used_users.add(user["user_id"])
    if ctx.rng.random() < 0.5:
        gold.add("find_user_id_by_email", email=user["email"])
        return f"You are {full_name(user)} and your email is {user['email']}.", None
    zip_code = user["address"]["zip"]
    gold.add("find_user_id_by_name_zip", first_name=user["name"]["first_name"],
             last_name=user["name"]["last_name"], zip=zip_code)
    return f"You are {full_name(user)} and your zip code is {zip_code}.", "You do not remember your email address."


def refer_to_order(ctx: TaskContext, user: dict[str, Any], order: dict[str, Any], gold: GoldActions,
                   allow_forgetting: bool = True) -> str:
    """How the user names the order. Sometimes they forget its id but name a product only that
    order holds; the agent then finds it through the profile (one more gold read)."""
    others = [o for o in ctx.orders_of(user) if o["order_id"] != order["order_id"]]
    other_names = {item["name"] for o in others for item in o["items"]}
    unique = [item["name"] for item in order["items"] if item["name"] not in other_names]
    if allow_forgetting and unique and ctx.rng.random() < 0.3:
        gold.add("get_user_details", user_id=user["user_id"])
        gold.add("get_order_details", order_id=order["order_id"])
        return f"You do not remember the order id; it is your order with the {unique[0]}."
    gold.add("get_order_details", order_id=order["order_id"])
    return f"The order id is {order['order_id']}."


def describe_options(options: dict[str, str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in options.items())


def describe_item(item: dict[str, Any]) -> str:
    return f"the {item['name']} ({describe_options(item['options'])})"


def describe_payment(method: dict[str, Any]) -> str:
    if method["source"] == "credit_card":
        return f"your {method['brand'].title()} credit card ending in {method['last_four']}"
    if method["source"] == "paypal":
        return "your PayPal account"
    return "your gift card"


def describe_address(address: dict[str, str]) -> str:
    second = f", {address['address2']}" if address["address2"] else ""
    note = "" if address["address2"] else " There is no second address line."
    return (f"{address['address1']}{second}, {address['city']}, {address['state']} {address['zip']}, "
            f"{address['country']}.{note}")


def money_text(amount: float) -> str:
    return f"{amount:.2f}"


def option_change(ctx: TaskContext, item: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """An available other variant of the item's product and how the user asks for it.

    Prefers a variant differing in one option ("the color red instead of blue"); otherwise the
    user names every option of the wanted variant. Either way exactly one variant fits.
    """
    variants = sorted(ctx.product(item["product_id"])["variants"].values(), key=lambda v: v["item_id"])
    candidates = []
    for variant in variants:
        if variant["item_id"] == item["item_id"] or not variant["available"]:
            continue
        changed = [k for k, v in item["options"].items() if variant["options"].get(k) != v]
        candidates.append((changed, variant))
    if not candidates:
        return None
    single = [c for c in candidates if len(c[0]) == 1]
    changed, variant = ctx.rng.choice(single or candidates)
    if len(changed) == 1:
        key = changed[0]
        ask = (f"{describe_item(item)}: you want {key} {variant['options'][key]} instead of "
               f"{item['options'][key]}, with everything else the same")
    else:
        ask = f"{describe_item(item)}: you want the version with {describe_options(variant['options'])}"
    return variant, ask


def difference_payment(ctx: TaskContext, user: dict[str, Any], order: dict[str, Any],
                       difference: float) -> dict[str, Any] | None:
    """The method that settles a price difference: the order's own if it can, else another."""
    methods = user["payment_methods"]
    original = order["payment_history"][0]["payment_method_id"]
    ordered = [original] + sorted(m for m in methods if m != original)
    for method_id in ordered:
        method = methods.get(method_id)
        if method is None:
            continue
        if method["source"] == "gift_card" and method["balance"] < difference:
            continue
        return method
    return None


def pick_item_changes(ctx: TaskContext, order: dict[str, Any], max_items: int = 2):
    """Up to max_items (item, new variant, request text) changes for distinct items of an order."""
    changes = []
    for item in ctx.rng.sample(order["items"], len(order["items"])):
        change = option_change(ctx, item)
        if change is not None:
            changes.append((item, *change))
    if not changes:
        return []
    count = 1 if len(changes) == 1 or ctx.rng.random() < 0.6 else min(max_items, len(changes))
    return changes[:count]


def confirm_instructions(extra: str = "") -> str:
    return ("Give the agent one piece of information at a time, when asked. When the agent lists "
            "the exact change you asked for and asks you to confirm, say yes. " + extra).strip()


# -- templates: pending orders ------------------------------------------------------------------
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
        gold.add("modify_pending_order_address", order_id=order["order_id"], **_address_args(new_address))
        return make_task(task_id, ctx, "Change the shipping address of a pending order", {
            "reason_for_call": "You will be away from home and want your pending order shipped to a different "
                               "address. Only this order changes; your default address stays as it is.",
            "known_info": f"{known} {order_text} The new shipping address is {describe_address(new_address)}",
            "unknown_info": unknown,
            "task_instructions": confirm_instructions(),
        }, gold, ["DB"])
    return None


def _address_args(address: dict[str, str]) -> dict[str, str]:
    keys = ("address1", "address2", "city", "state", "country", "zip")
    return {k: address[k] for k in keys}


def modify_order_items(ctx: TaskContext, task_id: str) -> Task | None:
    for user in ctx.users():
        for order in ctx.orders_of(user, "pending"):
            changes = pick_item_changes(ctx, order)
            if not changes:
                continue
            difference = money(sum(v["price"] - item["price"] for item, v, _ in changes))
            method = difference_payment(ctx, user, order, difference)
            if method is None:
                continue
            gold = GoldActions(task_id)
            known, unknown = authenticate(ctx, user, gold)
            order_text = refer_to_order(ctx, user, order, gold, allow_forgetting=False)
            for product_id in dict.fromkeys(item["product_id"] for item, _, _ in changes):
                gold.add("get_product_details", product_id=product_id)
            gold.add("modify_pending_order_items", order_id=order["order_id"],
                     item_ids=[item["item_id"] for item, _, _ in changes],
                     new_item_ids=[v["item_id"] for _, v, _ in changes],
                     payment_method_id=method["id"])
            asks = "; ".join(ask for _, _, ask in changes)
            return make_task(task_id, ctx, "Change item options of a pending order in one call", {
                "reason_for_call": f"Your order has not shipped yet and you want to change {asks}. "
                                   "Those are all the changes you want.",
                "known_info": f"{known} {order_text} Use {describe_payment(method)} for any price difference.",
                "unknown_info": unknown,
                "task_instructions": confirm_instructions(
                    "If the exact option you want is not available, keep the item as it is."),
            }, gold, ["DB"])
    return None


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


def modify_user_address(ctx: TaskContext, task_id: str) -> Task | None:
    user = ctx.users()[0]
    new_address = random_address(ctx.rng)
    gold = GoldActions(task_id)
    known, unknown = authenticate(ctx, user, gold)
    gold.add("get_user_details", user_id=user["user_id"])
    gold.add("modify_user_address", user_id=user["user_id"], **_address_args(new_address))
    return make_task(task_id, ctx, "Change the user's default address", {
        "reason_for_call": "You moved and want your default address on your profile updated. "
                           "You do not want to change any existing order.",
        "known_info": f"{known} Your new address is {describe_address(new_address)}",
        "unknown_info": unknown,
        "task_instructions": confirm_instructions(),
    }, gold, ["DB"])


# -- templates: delivered orders ----------------------------------------------------------------
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


# -- templates: refusals, questions, transfers --------------------------------------------------
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


Template = Callable[[TaskContext, str], "Task | None"]

# (short name used in task ids, template); the generator cycles through this list.
TEMPLATES: list[tuple[str, Template]] = [
    ("cancel", cancel_pending),
    ("order_address", modify_order_address),
    ("modify_items", modify_order_items),
    ("modify_payment", modify_order_payment),
    ("user_address", modify_user_address),
    ("return", return_to_original),
    ("return_gift_card", return_to_gift_card),
    ("exchange", exchange_delivered),
    ("refuse", refuse_request),
    ("info", answer_question),
    ("transfer", transfer_request),
]

# templates whose gold actions end in a write that must change the DB
WRITE_TEMPLATES = {"cancel", "order_address", "modify_items", "modify_payment", "user_address", "return",
                   "return_gift_card", "exchange"}
