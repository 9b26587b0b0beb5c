"""Seeded builder of a retail database: products with variants, users, and their orders."""

from __future__ import annotations

import itertools
import random
from typing import Any

from .catalog import CARD_BRANDS, CITIES, FIRST_NAMES, LAST_NAMES, PRODUCT_TYPES, STREETS
from .tools import money

# Status mix of generated orders; cancelled orders were cancelled while pending (no shipment).
ORDER_STATUS_WEIGHTS = {"pending": 36, "processed": 16, "delivered": 38, "cancelled": 10}


class _Ids:
    """Unique random digit strings, drawn from the generator's rng (so they are seeded too)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def digits(self, n: int, prefix: str = "") -> str:
        while True:
            value = prefix + str(self.rng.randint(10 ** (n - 1), 10**n - 1))
            if value not in self.used:
                self.used.add(value)
                return value


def random_address(rng: random.Random) -> dict[str, str]:
    city, state, zip_prefix = rng.choice(CITIES)
    return {
        "address1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
        "address2": rng.choice(["", "", f"Apt {rng.randint(1, 40)}", f"Suite {rng.randint(100, 999)}"]),
        "city": city,
        "country": "USA",
        "state": state,
        "zip": f"{zip_prefix}{rng.randint(0, 99):02d}",
    }


def build_products(rng: random.Random, ids: _Ids) -> dict[str, Any]:
    products = {}
    for name, (base_price, options) in PRODUCT_TYPES.items():
        keys = list(options)
        combos = list(itertools.product(*(options[k] for k in keys)))
        rng.shuffle(combos)
        count = min(len(combos), rng.randint(6, 12))
        variants = {}
        for combo in combos[:count]:
            item_id = ids.digits(10)
            variants[item_id] = {
                "item_id": item_id,
                "options": dict(zip(keys, combo)),
                "available": rng.random() < 0.8,
                "price": money(base_price * rng.uniform(0.85, 1.2)),
            }
        product_id = ids.digits(10)
        products[product_id] = {"name": name, "product_id": product_id, "variants": variants}
    return products


def _payment_methods(rng: random.Random, ids: _Ids) -> dict[str, Any]:
    count = rng.choices([1, 2, 3], weights=[40, 42, 18])[0]
    methods = {}
    for source in sorted(rng.sample(["credit_card", "paypal", "gift_card"], count)):
        method_id = ids.digits(7, prefix=f"{source}_")
        method: dict[str, Any] = {"source": source, "id": method_id}
        if source == "credit_card":
            method["brand"] = rng.choice(CARD_BRANDS)
            method["last_four"] = f"{rng.randint(0, 9999):04d}"
        elif source == "gift_card":
            method["balance"] = money(rng.uniform(0, 400))
        methods[method_id] = method
    return methods


def build_users(rng: random.Random, ids: _Ids, n_users: int) -> dict[str, Any]:
    users: dict[str, Any] = {}
    seen_identities: set[tuple[str, str, str]] = set()
    while len(users) < n_users:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        address = random_address(rng)
        identity = (first, last, address["zip"])
        if identity in seen_identities:  # name + zip must identify one user
            continue
        seen_identities.add(identity)
        user_id = ids.digits(4, prefix=f"{first.lower()}_{last.lower()}_")
        email = ids.digits(4, prefix=f"{first.lower()}.{last.lower()}") + "@example.com"
        users[user_id] = {
            "user_id": user_id,
            "name": {"first_name": first, "last_name": last},
            "address": address,
            "email": email,
            "payment_methods": _payment_methods(rng, ids),
            "orders": [],
        }
    return users


def _fulfillments(rng: random.Random, ids: _Ids, item_ids: list[str]) -> list[dict[str, Any]]:
    if len(item_ids) > 1 and rng.random() < 0.3:  # some orders ship in two parcels
        cut = rng.randint(1, len(item_ids) - 1)
        parts = [item_ids[:cut], item_ids[cut:]]
    else:
        parts = [item_ids]
    return [{"tracking_id": [ids.digits(12)], "item_ids": part} for part in parts]


def build_orders(rng: random.Random, ids: _Ids, users: dict[str, Any], products: dict[str, Any]) -> dict[str, Any]:
    orders: dict[str, Any] = {}
    product_list = list(products.values())
    statuses, weights = list(ORDER_STATUS_WEIGHTS), list(ORDER_STATUS_WEIGHTS.values())
    for user in users.values():
        for _ in range(rng.choices([1, 2, 3, 4], weights=[30, 38, 22, 10])[0]):
            order_id = ids.digits(7, prefix="#W")
            items = []
            for product in rng.sample(product_list, rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]):
                variant = product["variants"][rng.choice(sorted(product["variants"]))]
                items.append({
                    "name": product["name"],
                    "product_id": product["product_id"],
                    "item_id": variant["item_id"],
                    "price": variant["price"],
                    "options": dict(variant["options"]),
                })
            status = rng.choices(statuses, weights=weights)[0]
            method_id = rng.choice(sorted(user["payment_methods"]))
            total = money(sum(item["price"] for item in items))
            payments = [{"transaction_type": "payment", "amount": total, "payment_method_id": method_id}]
            shipped = status in ("processed", "delivered")
            order = {
                "order_id": order_id,
                "user_id": user["user_id"],
                "address": dict(user["address"]) if rng.random() < 0.85 else random_address(rng),
                "items": items,
                "status": status,
                "fulfillments": _fulfillments(rng, ids, [i["item_id"] for i in items]) if shipped else [],
                "payment_history": payments,
            }
            if status == "cancelled":
                payments.append({"transaction_type": "refund", "amount": total, "payment_method_id": method_id})
                order["cancel_reason"] = rng.choice(["no longer needed", "ordered by mistake"])
            orders[order_id] = order
            user["orders"].append(order_id)
    return orders


def build_db(rng: random.Random, n_users: int) -> dict[str, Any]:
    ids = _Ids(rng)
    products = build_products(rng, ids)
    users = build_users(rng, ids, n_users)
    orders = build_orders(rng, ids, users, products)
    return {"products": products, "users": users, "orders": orders}
