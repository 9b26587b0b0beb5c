"""Retail domain: the agent's 16 tools on an online store's users, products and orders.

The database is a JSON-like dict with three maps: `products` (product_id -> product with
`variants`), `users` (user_id -> profile with `payment_methods` and `orders`) and `orders`
(order_id -> order with `items`, `status`, `fulfillments`, `payment_history`).

Every write is deterministic (no clocks, no random ids), so replaying the same calls on two
copies of one database gives byte-identical databases: the DB reward depends on that.

Outputs, error texts and effects follow τ²-bench's retail tools exactly, float arithmetic
included (a price difference of 36.12999999999999 stays so), so the agent sees here what it
sees there: an order always shows every optional field (`cancel_reason`, `exchange_*`,
`return_*`), null when unset (`order_view`). Known τ²-bench quirks kept on purpose, because
they decide the database the reward compares: a cancellation refunds every payment entry;
`modify_pending_order_items` gives every changed item the price and options of the LAST new
item, and changes the first matching item each time.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ...environment import Toolkit, ToolKind, tool
from ...environment.arithmetic import calculate_text, evaluate_arithmetic  # noqa: F401 (re-exported)
from ...errors import ToolError

CANCEL_REASONS = ("no longer needed", "ordered by mistake")

# Order statuses written by the tools (the generated data also holds "processed" and "delivered").
STATUS_PENDING = "pending"
STATUS_ITEMS_MODIFIED = "pending (item modified)"
STATUS_CANCELLED = "cancelled"
STATUS_RETURN_REQUESTED = "return requested"
STATUS_EXCHANGE_REQUESTED = "exchange requested"
STATUS_DELIVERED = "delivered"


def money(value: float) -> float:
    """Round to cents (task generation's amounts; the tools follow τ²-bench's arithmetic)."""
    return round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


ORDER_OPTIONAL_FIELDS = (
    "cancel_reason", "exchange_items", "exchange_new_items", "exchange_payment_method_id",
    "exchange_price_difference", "return_items", "return_payment_method_id",
)


def order_view(order: dict[str, Any]) -> dict[str, Any]:
    """An order as τ²-bench shows it: its optional fields present, null when unset."""
    return {**order, **{k: order.get(k) for k in ORDER_OPTIONAL_FIELDS}}


def _address(address1: str, address2: str, city: str, state: str, country: str, zip: str) -> dict[str, str]:
    # key order follows the stored data, so a modified address dumps like an original one
    return {"address1": address1, "address2": address2, "city": city, "country": country, "state": state, "zip": zip}


class RetailTools(Toolkit):
    """The retail agent's tools (τ²-bench's 16 retail tools, same names and arguments)."""

    name = "retail_agent"

    # -- lookups (raise ToolError when missing) ---------------------------------------------
    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.data["users"].get(user_id)
        if user is None:
            raise ToolError("User not found")
        return user

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.data["orders"].get(order_id)
        if order is None:
            raise ToolError("Order not found")
        return order

    def _product(self, product_id: str) -> dict[str, Any]:
        product = self.data["products"].get(product_id)
        if product is None:
            raise ToolError("Product not found")
        return product

    def _payment_method(self, user_id: str, payment_method_id: str) -> dict[str, Any]:
        method = self._user(user_id)["payment_methods"].get(payment_method_id)
        if method is None:
            raise ToolError("Payment method not found")
        return method

    def _variant(self, product_id: str, item_id: str) -> dict[str, Any]:
        variant = self._product(product_id)["variants"].get(item_id)
        if variant is None:
            raise ToolError("Variant not found")
        return variant

    @staticmethod
    def _check_items_in_order(order: dict[str, Any], item_ids: list[str], message: str) -> None:
        """Every id in item_ids must be in the order at least as many times as it is listed."""
        in_order = Counter(item["item_id"] for item in order["items"])
        for item_id, wanted in Counter(item_ids).items():
            if wanted > in_order[item_id]:
                raise ToolError(message.format(item_id=item_id))

    def _price_difference(self, order: dict[str, Any], item_ids: list[str], new_item_ids: list[str],
                          same_item_refused: bool) -> tuple[float, dict[str, Any] | None]:
        """Sum of (new price - old price) over the pairs, summed in order as τ²-bench does (not
        rounded); also returns the last new variant. Checks each new item."""
        difference, variant = 0, None
        for item_id, new_item_id in zip(item_ids, new_item_ids):
            if same_item_refused and item_id == new_item_id:
                raise ToolError("The new item id should be different from the old item id")
            item = next((it for it in order["items"] if it["item_id"] == item_id), None)
            if item is None:
                raise ToolError(f"Item {item_id} not found")
            variant = self._variant(item["product_id"], new_item_id)
            if not variant.get("available", False):
                raise ToolError(f"New item {new_item_id} not found or available")
            difference += variant["price"] - item["price"]
        return difference, variant

    @staticmethod
    def _is_gift_card(method: dict[str, Any]) -> bool:
        return method.get("source") == "gift_card"

    @staticmethod
    def _adjust_gift_card(method: dict[str, Any], delta: float) -> None:
        method["balance"] = round(method.get("balance", 0.0) + delta, 2)

    # -- read tools ---------------------------------------------------------------------------
    @tool(ToolKind.READ)
    def find_user_id_by_email(self, email: str) -> str:
        """Find a user id by email address. Returns the user id, or an error if no user has it.

        Args:
            email: The email of the user, such as 'jane.doe1234@example.com'.
        """
        for user_id, user in self.data["users"].items():
            if user.get("email", "").lower() == email.lower():
                return user_id
        raise ToolError("User not found")

    @tool(ToolKind.READ)
    def find_user_id_by_name_zip(self, first_name: str, last_name: str, zip: str) -> str:
        """Find a user id by first name, last name and zip code. Use it when the user cannot give
        an email address. Returns the user id, or an error if no user matches.

        Args:
            first_name: The first name of the user, such as 'Jane'.
            last_name: The last name of the user, such as 'Doe'.
            zip: The zip code of the user's default address, such as '12345'.
        """
        for user_id, user in self.data["users"].items():
            name = user.get("name", {})
            if (
                name.get("first_name", "").lower() == first_name.lower()
                and name.get("last_name", "").lower() == last_name.lower()
                and user.get("address", {}).get("zip") == zip
            ):
                return user_id
        raise ToolError("User not found")

    @tool(ToolKind.READ)
    def get_user_details(self, user_id: str) -> dict[str, Any]:
        """Get a user's profile: name, email, default address, payment methods and order ids.

        Args:
            user_id: The user id, such as 'jane_doe_1234'.
        """
        return self._user(user_id)

    @tool(ToolKind.READ)
    def get_order_details(self, order_id: str) -> dict[str, Any]:
        """Get the status and details of an order: items, address, fulfillments, payments.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
        """
        return order_view(self._order(order_id))

    @tool(ToolKind.READ)
    def get_product_details(self, product_id: str) -> dict[str, Any]:
        """Get a product and all its variant items (options, price, availability).

        Args:
            product_id: The product id, such as '6086499569'. Product ids differ from item ids.
        """
        return self._product(product_id)

    @tool(ToolKind.READ)
    def get_item_details(self, item_id: str) -> dict[str, Any]:
        """Get one variant item (options, price, availability) by its item id.

        Args:
            item_id: The item id, such as '1008292230'. Item ids differ from product ids.
        """
        for product in self.data["products"].values():
            variant = product["variants"].get(item_id)
            if variant is not None:
                return variant
        raise ToolError("Item not found")

    @tool(ToolKind.READ)
    def list_all_product_types(self) -> str:
        """List the name and product id of every product type in the store, as a JSON object
        mapping product names to product ids, sorted by name. Each product type has several
        variant items with their own item ids and options.
        """
        names = {product["name"]: product["product_id"] for product in self.data["products"].values()}
        return json.dumps(names, sort_keys=True)

    # -- write tools: pending orders ------------------------------------------------------------
    @tool(ToolKind.WRITE)
    def cancel_pending_order(self, order_id: str, reason: str) -> dict[str, Any]:
        """Cancel a pending order (processed or delivered orders cannot be cancelled). Explain the
        cancellation and get the user's explicit confirmation (yes) first. The status becomes
        'cancelled' and the payment is refunded: at once to a gift card, otherwise in 5-7
        business days. Returns the order after the cancellation.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
            reason: The reason for the cancellation: either 'no longer needed' or 'ordered by mistake'.
        """
        order = self._order(order_id)
        if order["status"] != STATUS_PENDING:
            raise ToolError("Non-pending order cannot be cancelled")
        if reason not in CANCEL_REASONS:
            raise ToolError("Invalid reason")
        refunds = []
        for entry in order["payment_history"]:  # τ²-bench refunds every entry, as recorded
            method_id = entry["payment_method_id"]
            refunds.append({"transaction_type": "refund", "amount": entry["amount"], "payment_method_id": method_id})
            method = self._payment_method(order["user_id"], method_id)
            if self._is_gift_card(method):
                self._adjust_gift_card(method, entry["amount"])
        order["status"] = STATUS_CANCELLED
        order["cancel_reason"] = reason
        order["payment_history"].extend(refunds)
        return order_view(order)

    @tool(ToolKind.WRITE)
    def modify_pending_order_address(
        self, order_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
    ) -> dict[str, Any]:
        """Change the shipping address of a pending order. Explain the change and get the user's
        explicit confirmation (yes) first. Returns the order after the change.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
            address1: The first line of the address, such as '123 Main St'.
            address2: The second line of the address, such as 'Apt 1', or '' if there is none.
            city: The city, such as 'San Francisco'.
            state: The state, such as 'CA'.
            country: The country, such as 'USA'.
            zip: The zip code, such as '12345'.
        """
        order = self._order(order_id)
        if STATUS_PENDING not in order["status"]:
            raise ToolError("Non-pending order cannot be modified")
        order["address"] = _address(address1, address2, city, state, country, zip)
        return order_view(order)

    @tool(ToolKind.WRITE)
    def modify_pending_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
    ) -> dict[str, Any]:
        """Change items of a pending order to other options of the same product. This can be done
        only once per order: afterwards its items and payment can no longer change and it can
        no longer be cancelled, so collect every item to change first. Explain the change and get
        the user's explicit confirmation (yes) first. Returns the order after the change.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
            item_ids: The item ids to change, each such as '1008292230'. An id may repeat.
            new_item_ids: The new item ids, each such as '1008292230', in the same order as
                item_ids; each must be an available item of the same product as the item it replaces.
            payment_method_id: The user's payment method that pays or receives the price
                difference, such as 'gift_card_0000000' or 'credit_card_0000000'.
        """
        order = self._order(order_id)
        if order["status"] != STATUS_PENDING:
            raise ToolError("Non-pending order cannot be modified")
        self._check_items_in_order(order, item_ids, "{item_id} not found")
        if len(item_ids) != len(new_item_ids):
            raise ToolError("The number of items to be exchanged should match")
        difference, variant = self._price_difference(order, item_ids, new_item_ids, same_item_refused=True)
        method = self._payment_method(order["user_id"], payment_method_id)
        if self._is_gift_card(method) and method.get("balance", 0.0) < difference:
            raise ToolError("Insufficient gift card balance to pay for the new item")
        order["payment_history"].append({
            "transaction_type": "payment" if difference > 0 else "refund",
            "amount": abs(difference),
            "payment_method_id": payment_method_id,
        })
        if self._is_gift_card(method):
            self._adjust_gift_card(method, -difference)
        for item_id, new_item_id in zip(item_ids, new_item_ids):
            item = next((it for it in order["items"] if it["item_id"] == item_id), None)
            if item is None:
                raise ToolError(f"Item {item_id} not found")
            item["item_id"] = new_item_id
            item["price"] = variant["price"]  # τ²-bench: the last new item's price and options
            item["options"] = dict(variant["options"])
        order["status"] = STATUS_ITEMS_MODIFIED
        return order_view(order)

    @tool(ToolKind.WRITE)
    def modify_pending_order_payment(self, order_id: str, payment_method_id: str) -> dict[str, Any]:
        """Pay a pending order with a different payment method of the user. Explain the change and
        get the user's explicit confirmation (yes) first. The old payment is refunded: at once to
        a gift card, otherwise in 5-7 business days. Returns the order after the change.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
            payment_method_id: The new payment method, such as 'gift_card_0000000' or
                'credit_card_0000000'; it must differ from the current one.
        """
        order = self._order(order_id)
        if STATUS_PENDING not in order["status"]:
            raise ToolError("Non-pending order cannot be modified")
        method = self._payment_method(order["user_id"], payment_method_id)
        history = order["payment_history"]
        if len(history) != 1 or history[0]["transaction_type"] != "payment":
            raise ToolError("There should be exactly one payment for a pending order")
        old_method_id, amount = history[0]["payment_method_id"], history[0]["amount"]
        if old_method_id == payment_method_id:
            raise ToolError("The new payment method should be different from the current one")
        if self._is_gift_card(method) and method.get("balance", 0.0) < amount:
            raise ToolError("Insufficient gift card balance to pay for the order")
        history.append({"transaction_type": "payment", "amount": amount, "payment_method_id": payment_method_id})
        history.append({"transaction_type": "refund", "amount": amount, "payment_method_id": old_method_id})
        if self._is_gift_card(method):
            self._adjust_gift_card(method, -amount)
        old_method = self._payment_method(order["user_id"], old_method_id)
        if self._is_gift_card(old_method):
            self._adjust_gift_card(old_method, amount)
        return order_view(order)
    # -- write tools: users -----------------------------------------------------------------

    @tool(ToolKind.WRITE)
    def modify_user_address(
        self, user_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
    ) -> dict[str, Any]:
        """Change a user's default address. Explain the change and get the user's explicit
        confirmation (yes) first. Returns the user after the change.

        Args:
            user_id: The user id, such as 'jane_doe_1234'.
            address1: The first line of the address, such as '123 Main St'.
            address2: The second line of the address, such as 'Apt 1', or '' if there is none.
            city: The city, such as 'San Francisco'.
            state: The state, such as 'CA'.
            country: The country, such as 'USA'.
            zip: The zip code, such as '12345'.
        """
        user = self._user(user_id)
        user["address"] = _address(address1, address2, city, state, country, zip)
        return user
    # -- write tools: delivered orders -------------------------------------------------------

    @tool(ToolKind.WRITE)
    def return_delivered_order_items(self, order_id: str, item_ids: list[str], payment_method_id: str) -> dict[str, Any]:
        """Request the return of items of a delivered order. The status becomes 'return requested'
        and the user gets an email on how to send the items back. Explain the return and get the
        user's explicit confirmation (yes) first. Returns the order after the request.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
            item_ids: The item ids to return, each such as '1008292230'. An id may repeat.
            payment_method_id: Where the refund goes: the order's original payment method or one of
                the user's gift cards, such as 'gift_card_0000000' or 'credit_card_0000000'.
        """
        order = self._order(order_id)
        if order["status"] != STATUS_DELIVERED:
            raise ToolError("Non-delivered order cannot be returned")
        method = self._payment_method(order["user_id"], payment_method_id)
        if not self._is_gift_card(method) and payment_method_id != order["payment_history"][0]["payment_method_id"]:
            raise ToolError("Payment method should be the original payment method")
        self._check_items_in_order(order, item_ids, "Some item not found")
        order["status"] = STATUS_RETURN_REQUESTED
        order["return_items"] = sorted(item_ids)
        order["return_payment_method_id"] = payment_method_id
        return order_view(order)

    @tool(ToolKind.WRITE)
    def exchange_delivered_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
    ) -> dict[str, Any]:
        """Exchange items of a delivered order for other options of the same product. A delivered
        order can be returned or exchanged only once, so collect every item first. Explain the
        exchange and get the user's explicit confirmation (yes) first. The status becomes
        'exchange requested'. Returns the order after the request.

        Args:
            order_id: The order id, such as '#W0000000'. Note the '#' at the start of the id.
            item_ids: The item ids to exchange, each such as '1008292230'. An id may repeat.
            new_item_ids: The new item ids, each such as '1008292230', in the same order as
                item_ids; each must be an available item of the same product as the item it replaces.
            payment_method_id: The user's payment method that pays or receives the price
                difference, such as 'gift_card_0000000' or 'credit_card_0000000'.
        """
        order = self._order(order_id)
        if order["status"] != STATUS_DELIVERED:
            raise ToolError("Non-delivered order cannot be exchanged")
        self._check_items_in_order(order, item_ids, "Number of {item_id} not found.")
        if len(item_ids) != len(new_item_ids):
            raise ToolError("The number of items to be exchanged should match.")
        difference, _ = self._price_difference(order, item_ids, new_item_ids, same_item_refused=False)
        difference = round(difference, 2)
        method = self._payment_method(order["user_id"], payment_method_id)
        if self._is_gift_card(method) and method.get("balance", 0.0) < difference:
            raise ToolError("Insufficient gift card balance to pay for the price difference")
        order["status"] = STATUS_EXCHANGE_REQUESTED
        order["exchange_items"] = sorted(item_ids)
        order["exchange_new_items"] = sorted(new_item_ids)
        order["exchange_payment_method_id"] = payment_method_id
        order["exchange_price_difference"] = difference
        return order_view(order)

    # -- generic tools -------------------------------------------------------------------------
    @tool(ToolKind.GENERIC)
    def calculate(self, expression: str) -> str:
        """Calculate an arithmetic expression; the result is rounded to 2 decimals.

        Args:
            expression: The expression, such as '(19.99 + 5) * 2'. Numbers, + - * /, parentheses and spaces only.
        """
        return calculate_text(expression)

    @tool(ToolKind.GENERIC)
    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent, with a summary of their issue. Transfer only when the
        user explicitly asks for a human, or when the request is outside what the policy and
        these tools allow you to handle.

        Args:
            summary: A short summary of the user's issue.
        """
        return "Transfer successful"
