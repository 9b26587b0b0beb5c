"""What the retail task families share: the DB and random stream (TaskContext), gold-action
numbering, the task layout, and how users, orders, items, payments and addresses are described.

A family picks a fitting user and order from the DB and computes the gold actions, the user's
scenario and the evaluation criteria from it; it returns None when the DB holds no fitting case.
Every family starts from the same DB: tasks never see each other's writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..catalog import PERSONAS

Task = dict[str, Any]


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


def address_args(address: dict[str, str]) -> dict[str, str]:
    keys = ("address1", "address2", "city", "state", "country", "zip")
    return {k: address[k] for k in keys}
