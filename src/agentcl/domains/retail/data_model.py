"""Pydantic models of the retail database, used to VALIDATE a loaded db.json with clear errors.

The tools work on the plain dicts (fast copies, exact round trips); these models only check
shape and types, then `validate_db` checks the cross references (ids that must agree).
Unknown extra fields are allowed, as τ²-bench orders gain fields such as `cancel_reason`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import DataError


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Variant(_Model):
    item_id: str
    options: dict[str, str]
    available: bool
    price: float = Field(ge=0)


class Product(_Model):
    name: str
    product_id: str
    variants: dict[str, Variant]


class Name(_Model):
    first_name: str
    last_name: str


class Address(_Model):
    address1: str
    address2: str
    city: str
    country: str
    state: str
    zip: str


class CreditCard(_Model):
    source: Literal["credit_card"]
    id: str
    brand: str
    last_four: str


class Paypal(_Model):
    source: Literal["paypal"]
    id: str


class GiftCard(_Model):
    source: Literal["gift_card"]
    id: str
    balance: float = Field(ge=0)


PaymentMethod = Annotated[Union[CreditCard, Paypal, GiftCard], Field(discriminator="source")]


class User(_Model):
    user_id: str
    name: Name
    address: Address
    email: str
    payment_methods: dict[str, PaymentMethod]
    orders: list[str]


class OrderItem(_Model):
    name: str
    product_id: str
    item_id: str
    price: float
    options: dict[str, str]


class Fulfillment(_Model):
    tracking_id: list[str]
    item_ids: list[str]


class OrderPayment(_Model):
    transaction_type: Literal["payment", "refund"]
    amount: float = Field(ge=0)
    payment_method_id: str


class Order(_Model):
    order_id: str
    user_id: str
    address: Address
    items: list[OrderItem]
    status: str
    fulfillments: list[Fulfillment]
    payment_history: list[OrderPayment]


class RetailDB(_Model):
    products: dict[str, Product]
    users: dict[str, User]
    orders: dict[str, Order]


def _reference_problems(db: RetailDB) -> list[str]:
    """Ids that must agree: map keys and ids, orders and users, items and products."""
    problems = []
    for key, product in db.products.items():
        if key != product.product_id:
            problems.append(f"products.{key}: product_id is {product.product_id!r}")
        for vkey, variant in product.variants.items():
            if vkey != variant.item_id:
                problems.append(f"products.{key}.variants.{vkey}: item_id is {variant.item_id!r}")
    for key, user in db.users.items():
        if key != user.user_id:
            problems.append(f"users.{key}: user_id is {user.user_id!r}")
        for mkey, method in user.payment_methods.items():
            if mkey != method.id:
                problems.append(f"users.{key}.payment_methods.{mkey}: id is {method.id!r}")
        for order_id in user.orders:
            if order_id not in db.orders:
                problems.append(f"users.{key}.orders: unknown order {order_id!r}")
    for key, order in db.orders.items():
        where = f"orders.{key}"
        if key != order.order_id:
            problems.append(f"{where}: order_id is {order.order_id!r}")
        user = db.users.get(order.user_id)
        if user is None:
            problems.append(f"{where}: unknown user {order.user_id!r}")
            continue
        for i, item in enumerate(order.items):
            if item.product_id not in db.products:
                problems.append(f"{where}.items.{i}: unknown product {item.product_id!r}")
        for i, payment in enumerate(order.payment_history):
            if payment.payment_method_id not in user.payment_methods:
                problems.append(f"{where}.payment_history.{i}: {payment.payment_method_id!r} is not a payment "
                                f"method of {order.user_id!r}")
    return problems


def validate_db(data: Any, path: str | Path | None = None, check_references: bool = True) -> RetailDB:
    """Validate a retail database; raises DataError naming the first bad field (and up to 5
    broken cross references) so the file can be fixed."""
    try:
        db = RetailDB.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise DataError(f"invalid retail database at {where}: {first['msg']}{more}", path=path) from None
    if check_references:
        problems = _reference_problems(db)
        if problems:
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise DataError("inconsistent retail database: " + "; ".join(problems[:5]) + more, path=path)
    return db
