"""Retail tools on a small hand-built store: each tool's happy path and its refusals."""

from __future__ import annotations

import json

import pytest

from agentcl.data_model import ToolCall
from agentcl.domains.retail import DOMAIN, RetailTools
from agentcl.domains.retail.data_model import validate_db
from agentcl.environment import Database, Environment, ToolKind
from agentcl.errors import DataError, ToolError

KETTLE, LAMP = "1000000001", "1000000002"
RED_1L, BLUE_1L, RED_2L = "2000000001", "2000000002", "2000000003"  # RED_2L is unavailable
BRASS, WOOD = "3000000001", "3000000002"


def _variant(item_id, options, price, available=True):
    return {"item_id": item_id, "options": options, "available": available, "price": price}


def _item(product_id, name, variant):
    return {"name": name, "product_id": product_id, "item_id": variant["item_id"], "price": variant["price"],
            "options": dict(variant["options"])}


def _address(zip_code):
    return {"address1": "1 Main St", "address2": "", "city": "Springfield", "country": "USA", "state": "IL",
            "zip": zip_code}


def _order(order_id, user_id, items, status, method_id):
    total = round(sum(i["price"] for i in items), 2)
    return {"order_id": order_id, "user_id": user_id, "address": _address("10001"), "items": items,
            "status": status,
            "fulfillments": [] if status == "pending" else [
                {"tracking_id": ["123456789012"], "item_ids": [i["item_id"] for i in items]}],
            "payment_history": [{"transaction_type": "payment", "amount": total, "payment_method_id": method_id}]}


def make_store() -> dict:
    variants = {
        RED_1L: _variant(RED_1L, {"color": "red", "capacity": "1L"}, 30.0),
        BLUE_1L: _variant(BLUE_1L, {"color": "blue", "capacity": "1L"}, 32.5),
        RED_2L: _variant(RED_2L, {"color": "red", "capacity": "2L"}, 40.0, available=False),
    }
    lamps = {BRASS: _variant(BRASS, {"base": "brass"}, 50.0), WOOD: _variant(WOOD, {"base": "wood"}, 45.0)}
    kettle = lambda v: _item(KETTLE, "Kettle", variants[v])  # noqa: E731
    lamp = lambda v: _item(LAMP, "Lamp", lamps[v])  # noqa: E731
    orders = {
        "#W1": _order("#W1", "ana_lima_1", [kettle(RED_1L), lamp(BRASS)], "pending", "credit_card_1"),
        "#W2": _order("#W2", "ana_lima_1", [kettle(RED_1L), kettle(RED_1L), lamp(WOOD)], "delivered", "gift_card_1"),
        "#W3": _order("#W3", "ana_lima_1", [lamp(BRASS)], "processed", "paypal_1"),
        "#W4": _order("#W4", "bo_chen_2", [kettle(BLUE_1L)], "pending", "credit_card_2"),
        "#W5": _order("#W5", "ana_lima_1", [kettle(RED_1L)], "pending", "gift_card_1"),
        "#W6": _order("#W6", "ana_lima_1", [lamp(WOOD)], "delivered", "credit_card_1"),
    }
    users = {
        "ana_lima_1": {
            "user_id": "ana_lima_1", "name": {"first_name": "Ána", "last_name": "Lima"}, "address": _address("10001"),
            "email": "ana.lima@example.com",
            "payment_methods": {
                "credit_card_1": {"source": "credit_card", "id": "credit_card_1", "brand": "visa", "last_four": "1111"},
                "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "balance": 20.0},
                "paypal_1": {"source": "paypal", "id": "paypal_1"},
            },
            "orders": ["#W1", "#W2", "#W3", "#W5", "#W6"],
        },
        "bo_chen_2": {
            "user_id": "bo_chen_2", "name": {"first_name": "Bo", "last_name": "Chen"}, "address": _address("20002"),
            "email": "bo.chen@example.com",
            "payment_methods": {"credit_card_2": {"source": "credit_card", "id": "credit_card_2", "brand": "amex",
                                                  "last_four": "2222"}},
            "orders": ["#W4"],
        },
    }
    products = {KETTLE: {"name": "Kettle", "product_id": KETTLE, "variants": variants},
                LAMP: {"name": "Lamp", "product_id": LAMP, "variants": lamps}}
    return {"products": products, "users": users, "orders": orders}


@pytest.fixture
def tools() -> RetailTools:
    return RetailTools(Database(make_store()))


def call(tools: RetailTools, name: str, **arguments):
    return tools.call_tool(name, arguments)


def refused(tools: RetailTools, name: str, match: str, **arguments) -> None:
    """The call is refused with a message matching `match` and leaves the DB untouched."""
    before = tools.db.canonical()
    with pytest.raises(ToolError, match=match):
        tools.call_tool(name, arguments)
    assert tools.db.canonical() == before


# -- the tool set ----------------------------------------------------------------------------
REFERENCE_ARGUMENTS = {
    "find_user_id_by_email": ["email"],
    "find_user_id_by_name_zip": ["first_name", "last_name", "zip"],
    "get_user_details": ["user_id"],
    "get_order_details": ["order_id"],
    "get_product_details": ["product_id"],
    "get_item_details": ["item_id"],
    "list_all_product_types": [],
    "cancel_pending_order": ["order_id", "reason"],
    "modify_pending_order_address": ["order_id", "address1", "address2", "city", "state", "country", "zip"],
    "modify_pending_order_items": ["order_id", "item_ids", "new_item_ids", "payment_method_id"],
    "modify_pending_order_payment": ["order_id", "payment_method_id"],
    "modify_user_address": ["user_id", "address1", "address2", "city", "state", "country", "zip"],
    "return_delivered_order_items": ["order_id", "item_ids", "payment_method_id"],
    "exchange_delivered_order_items": ["order_id", "item_ids", "new_item_ids", "payment_method_id"],
    "calculate": ["expression"],
    "transfer_to_human_agents": ["summary"],
}


def test_the_sixteen_tools_with_their_arguments_and_kinds(tools):
    assert RetailTools.tool_names() == sorted(REFERENCE_ARGUMENTS)
    for schema in tools.schemas():
        fn = schema["function"]
        params = fn["parameters"]
        assert list(params["properties"]) == REFERENCE_ARGUMENTS[fn["name"]], fn["name"]
        assert sorted(params["required"]) == sorted(REFERENCE_ARGUMENTS[fn["name"]])
        assert fn["description"] and all(p.get("description") for p in params["properties"].values()), fn["name"]
    writes = {n for n in REFERENCE_ARGUMENTS if n.startswith(("cancel", "modify", "return", "exchange"))}
    for name in REFERENCE_ARGUMENTS:
        expected = (ToolKind.WRITE if name in writes else
                    ToolKind.GENERIC if name in ("calculate", "transfer_to_human_agents") else ToolKind.READ)
        assert tools.tool_kind(name) == expected, name
    assert DOMAIN.agent_toolkit is RetailTools and DOMAIN.user_toolkit is None


def test_hand_built_store_is_a_valid_database():
    validate_db(make_store())


# -- reads ---------------------------------------------------------------------------------------
def test_find_user_by_email_ignores_case(tools):
    assert call(tools, "find_user_id_by_email", email="Ana.Lima@Example.com") == "ana_lima_1"
    refused(tools, "find_user_id_by_email", "^User not found$", email="nobody@example.com")


def test_find_user_by_name_zip_ignores_case_but_not_accents_or_zip(tools):
    """τ²-bench compares lower-cased names exactly: 'Ána' is not 'ana'."""
    assert call(tools, "find_user_id_by_name_zip", first_name="áNA", last_name="LIMA", zip="10001") == "ana_lima_1"
    assert call(tools, "find_user_id_by_name_zip", first_name="Bo", last_name="Chen", zip="20002") == "bo_chen_2"
    refused(tools, "find_user_id_by_name_zip", "User not found", first_name="ana", last_name="Lima", zip="10001")
    refused(tools, "find_user_id_by_name_zip", "User not found", first_name="Ána", last_name="Lima", zip="20002")


def test_get_details_and_their_not_found_errors(tools):
    assert call(tools, "get_user_details", user_id="bo_chen_2")["email"] == "bo.chen@example.com"
    order = call(tools, "get_order_details", order_id="#W3")
    assert order["status"] == "processed"
    assert order["cancel_reason"] is None and order["exchange_items"] is None  # shown null, as τ²-bench does
    assert order["return_items"] is None and "cancel_reason" not in tools.data["orders"]["#W3"]
    assert set(call(tools, "get_product_details", product_id=KETTLE)["variants"]) == {RED_1L, BLUE_1L, RED_2L}
    assert call(tools, "get_item_details", item_id=WOOD) == {"item_id": WOOD, "options": {"base": "wood"},
                                                             "available": True, "price": 45.0}
    refused(tools, "get_user_details", "^User not found$", user_id="nobody")
    refused(tools, "get_order_details", "^Order not found$", order_id="W1")
    refused(tools, "get_product_details", "^Product not found$", product_id=RED_1L)  # an item id, not a product id
    refused(tools, "get_item_details", "^Item not found$", item_id=KETTLE)


def test_list_all_product_types_is_sorted_json(tools):
    text = call(tools, "list_all_product_types")
    assert json.loads(text) == {"Kettle": KETTLE, "Lamp": LAMP}
    assert text.index("Kettle") < text.index("Lamp")


def test_bad_arguments_are_refused_by_validation(tools):
    refused(tools, "return_delivered_order_items", "invalid arguments", order_id="#W2", item_ids=RED_1L,
            payment_method_id="gift_card_1")
    refused(tools, "get_order_details", "invalid arguments", order_id="#W1", extra="x")


# -- cancel ------------------------------------------------------------------------------------
def test_cancel_refunds_a_card_later_and_records_the_reason(tools):
    order = call(tools, "cancel_pending_order", order_id="#W1", reason="no longer needed")
    assert order["status"] == "cancelled" and order["cancel_reason"] == "no longer needed"
    assert order["payment_history"][-1] == {"transaction_type": "refund", "amount": 80.0,
                                            "payment_method_id": "credit_card_1"}
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 20.0
    refused(tools, "cancel_pending_order", "Non-pending order cannot be cancelled", order_id="#W1",
            reason="no longer needed")


def test_cancel_refunds_a_gift_card_at_once(tools):
    call(tools, "cancel_pending_order", order_id="#W5", reason="ordered by mistake")
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 50.0


def test_cancel_refusals(tools):
    refused(tools, "cancel_pending_order", "Non-pending order cannot be cancelled", order_id="#W3", reason="no longer needed")
    refused(tools, "cancel_pending_order", "Non-pending order cannot be cancelled", order_id="#W2", reason="no longer needed")
    refused(tools, "cancel_pending_order", "^Invalid reason$", order_id="#W1", reason="found it cheaper")
    refused(tools, "cancel_pending_order", "^Order not found$", order_id="#W99", reason="no longer needed")


def test_cancel_after_a_payment_change_refunds_every_entry_as_tau2_does(tools):
    """τ²-bench refunds each payment-history entry as recorded (refund entries included)."""
    call(tools, "modify_pending_order_payment", order_id="#W1", payment_method_id="paypal_1")
    order = call(tools, "cancel_pending_order", order_id="#W1", reason="no longer needed")
    assert order["payment_history"][3:] == [
        {"transaction_type": "refund", "amount": 80.0, "payment_method_id": "credit_card_1"},
        {"transaction_type": "refund", "amount": 80.0, "payment_method_id": "paypal_1"},
        {"transaction_type": "refund", "amount": 80.0, "payment_method_id": "credit_card_1"}]


# -- pending order: address and payment ------------------------------------------------------------
NEW_ADDRESS = {"address1": "9 Elm St", "address2": "Apt 2", "city": "Austin", "state": "TX", "country": "USA",
               "zip": "78701"}


def test_modify_order_address(tools):
    order = call(tools, "modify_pending_order_address", order_id="#W1", **NEW_ADDRESS)
    assert order["address"] == NEW_ADDRESS
    assert list(order["address"]) == ["address1", "address2", "city", "country", "state", "zip"]
    refused(tools, "modify_pending_order_address", "Non-pending order cannot be modified", order_id="#W3", **NEW_ADDRESS)
    refused(tools, "modify_pending_order_address", "^Order not found$", order_id="#W0", **NEW_ADDRESS)


def test_address_and_payment_can_still_change_after_an_item_change(tools):
    call(tools, "modify_pending_order_items", order_id="#W1", item_ids=[RED_1L], new_item_ids=[BLUE_1L],
         payment_method_id="credit_card_1")
    assert call(tools, "modify_pending_order_address", order_id="#W1", **NEW_ADDRESS)["address"] == NEW_ADDRESS
    # the item change added a payment entry, so the payment method can no longer move
    refused(tools, "modify_pending_order_payment", "exactly one payment", order_id="#W1", payment_method_id="paypal_1")


def test_modify_payment_card_to_gift_card_and_back(tools):
    tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] = 100.0
    order = call(tools, "modify_pending_order_payment", order_id="#W1", payment_method_id="gift_card_1")
    assert order["payment_history"][1:] == [
        {"transaction_type": "payment", "amount": 80.0, "payment_method_id": "gift_card_1"},
        {"transaction_type": "refund", "amount": 80.0, "payment_method_id": "credit_card_1"}]
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 20.0
    # a gift-card-paid order moved away refunds the gift card at once
    call(tools, "modify_pending_order_payment", order_id="#W5", payment_method_id="paypal_1")
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 50.0


def test_modify_payment_refusals(tools):
    refused(tools, "modify_pending_order_payment", "Insufficient gift card balance to pay for the order", order_id="#W1",
            payment_method_id="gift_card_1")
    refused(tools, "modify_pending_order_payment", "should be different from the current one", order_id="#W1",
            payment_method_id="credit_card_1")
    refused(tools, "modify_pending_order_payment", "^Payment method not found$", order_id="#W1",
            payment_method_id="credit_card_2")  # Bo's card
    refused(tools, "modify_pending_order_payment", "Non-pending order cannot be modified", order_id="#W3",
            payment_method_id="credit_card_1")


# -- pending order: items ----------------------------------------------------------------------
def test_modify_items_charges_the_difference_and_locks_the_order(tools):
    order = call(tools, "modify_pending_order_items", order_id="#W1", item_ids=[RED_1L, BRASS],
                 new_item_ids=[BLUE_1L, WOOD], payment_method_id="paypal_1")
    assert order["status"] == "pending (item modified)"
    # τ²-bench gives every changed item the price and options of the LAST new item (kept, as it
    # decides the database the reward compares)
    assert [(i["item_id"], i["price"], i["options"]) for i in order["items"]] == [
        (BLUE_1L, 45.0, {"base": "wood"}), (WOOD, 45.0, {"base": "wood"})]
    assert order["payment_history"][-1] == {"transaction_type": "refund", "amount": 2.5, "payment_method_id": "paypal_1"}
    refused(tools, "modify_pending_order_items", "Non-pending order cannot be modified", order_id="#W1",
            item_ids=[BLUE_1L], new_item_ids=[RED_1L], payment_method_id="paypal_1")
    refused(tools, "cancel_pending_order", "Non-pending order cannot be cancelled", order_id="#W1", reason="no longer needed")


def test_modify_items_settles_on_a_gift_card(tools):
    call(tools, "modify_pending_order_items", order_id="#W1", item_ids=[BRASS], new_item_ids=[WOOD],
         payment_method_id="gift_card_1")
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 25.0  # +5 refund
    fresh = RetailTools(Database(make_store()))
    fresh.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] = 2.0
    refused(fresh, "modify_pending_order_items", "Insufficient gift card balance to pay for the new item", order_id="#W1",
            item_ids=[RED_1L], new_item_ids=[BLUE_1L], payment_method_id="gift_card_1")


def test_modify_items_refusals(tools):
    base = {"order_id": "#W1", "payment_method_id": "credit_card_1"}
    refused(tools, "modify_pending_order_items", f"New item {RED_2L} not found or available", item_ids=[RED_1L],
            new_item_ids=[RED_2L], **base)
    refused(tools, "modify_pending_order_items", "^Variant not found$", item_ids=[RED_1L], new_item_ids=[WOOD], **base)
    refused(tools, "modify_pending_order_items", "should be different from the old item id", item_ids=[RED_1L],
            new_item_ids=[RED_1L], **base)
    refused(tools, "modify_pending_order_items", "should match", item_ids=[RED_1L, BRASS], new_item_ids=[BLUE_1L],
            **base)
    refused(tools, "modify_pending_order_items", f"^{BLUE_1L} not found$", item_ids=[BLUE_1L], new_item_ids=[RED_1L],
            **base)
    refused(tools, "modify_pending_order_items", f"^{RED_1L} not found$", item_ids=[RED_1L, RED_1L],
            new_item_ids=[BLUE_1L, BLUE_1L], **base)
    refused(tools, "modify_pending_order_items", "^Payment method not found$", order_id="#W1", item_ids=[RED_1L],
            new_item_ids=[BLUE_1L], payment_method_id="credit_card_2")
    refused(tools, "modify_pending_order_items", "Non-pending order cannot be modified", order_id="#W2",
            item_ids=[RED_1L], new_item_ids=[BLUE_1L], payment_method_id="credit_card_1")


# -- user address ------------------------------------------------------------------------------
def test_modify_user_address(tools):
    user = call(tools, "modify_user_address", user_id="bo_chen_2", **NEW_ADDRESS)
    assert user["address"] == NEW_ADDRESS
    assert call(tools, "find_user_id_by_name_zip", first_name="Bo", last_name="Chen", zip="78701") == "bo_chen_2"
    refused(tools, "modify_user_address", "^User not found$", user_id="nobody", **NEW_ADDRESS)


# -- delivered orders ----------------------------------------------------------------------------
def test_return_to_the_original_method_or_a_gift_card(tools):
    order = call(tools, "return_delivered_order_items", order_id="#W6", item_ids=[WOOD],
                 payment_method_id="credit_card_1")
    assert order["status"] == "return requested"
    assert order["return_items"] == [WOOD] and order["return_payment_method_id"] == "credit_card_1"
    order = call(tools, "return_delivered_order_items", order_id="#W2", item_ids=[WOOD, RED_1L, RED_1L],
                 payment_method_id="gift_card_1")
    assert order["return_items"] == sorted([WOOD, RED_1L, RED_1L])
    # a return request is recorded, money moves later: the gift card is untouched
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 20.0


def test_return_refusals(tools):
    refused(tools, "return_delivered_order_items", "should be the original payment method", order_id="#W6",
            item_ids=[WOOD], payment_method_id="paypal_1")
    refused(tools, "return_delivered_order_items", "Non-delivered order cannot be returned", order_id="#W1",
            item_ids=[RED_1L], payment_method_id="credit_card_1")
    refused(tools, "return_delivered_order_items", "Non-delivered order cannot be returned", order_id="#W3",
            item_ids=[BRASS], payment_method_id="paypal_1")
    refused(tools, "return_delivered_order_items", "^Some item not found$", order_id="#W2",
            item_ids=[RED_1L, RED_1L, RED_1L], payment_method_id="gift_card_1")
    refused(tools, "return_delivered_order_items", "^Payment method not found$", order_id="#W2", item_ids=[WOOD],
            payment_method_id="credit_card_2")


def test_exchange_records_the_request_and_price_difference(tools):
    order = call(tools, "exchange_delivered_order_items", order_id="#W2", item_ids=[RED_1L, WOOD],
                 new_item_ids=[BLUE_1L, BRASS], payment_method_id="gift_card_1")
    assert order["status"] == "exchange requested"
    assert order["exchange_items"] == sorted([RED_1L, WOOD])
    assert order["exchange_new_items"] == sorted([BLUE_1L, BRASS])
    assert order["exchange_payment_method_id"] == "gift_card_1" and order["exchange_price_difference"] == 7.5
    assert order["items"][0]["item_id"] == RED_1L  # items change when the exchange is carried out, not now
    assert tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] == 20.0
    refused(tools, "exchange_delivered_order_items", "Non-delivered order cannot be exchanged", order_id="#W2", item_ids=[RED_1L],
            new_item_ids=[BLUE_1L], payment_method_id="gift_card_1")


def test_exchange_refusals(tools):
    base = {"order_id": "#W2", "payment_method_id": "credit_card_1"}
    refused(tools, "exchange_delivered_order_items", "^Variant not found$", item_ids=[WOOD], new_item_ids=[BLUE_1L],
            **base)
    refused(tools, "exchange_delivered_order_items", "not found or available", item_ids=[RED_1L],
            new_item_ids=[RED_2L], **base)
    refused(tools, "exchange_delivered_order_items", "should match", item_ids=[RED_1L], new_item_ids=[], **base)
    refused(tools, "exchange_delivered_order_items", "Non-delivered order cannot be exchanged", order_id="#W1",
            item_ids=[RED_1L], new_item_ids=[BLUE_1L], payment_method_id="credit_card_1")
    tools.data["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"]["balance"] = 4.0
    refused(tools, "exchange_delivered_order_items", "Insufficient gift card balance to pay for the price difference", order_id="#W2",
            item_ids=[WOOD], new_item_ids=[BRASS], payment_method_id="gift_card_1")


# -- generic tools -----------------------------------------------------------------------------
def test_calculate(tools):
    assert call(tools, "calculate", expression="2 + 2") == "4.0"
    assert call(tools, "calculate", expression="(19.99 + 5) * 2 - 1 / 4") == "49.73"
    assert call(tools, "calculate", expression="-3 + 10 / 4") == "-0.5"
    refused(tools, "calculate", "invalid characters", expression="__import__('os')")
    refused(tools, "calculate", "division by zero", expression="1 / 0")
    refused(tools, "calculate", "invalid expression", expression="2 ** 10")
    refused(tools, "calculate", "invalid expression", expression="2 +")
    refused(tools, "calculate", "empty", expression="  ")


def test_transfer(tools):
    assert call(tools, "transfer_to_human_agents", summary="lost parcel") == "Transfer successful"


# -- determinism and the environment -----------------------------------------------------------
CALLS = [
    ("cancel_pending_order", {"order_id": "#W5", "reason": "ordered by mistake"}),
    ("modify_pending_order_items", {"order_id": "#W1", "item_ids": [RED_1L], "new_item_ids": [BLUE_1L],
                                    "payment_method_id": "gift_card_1"}),
    ("modify_pending_order_address", {"order_id": "#W1", **NEW_ADDRESS}),
    ("exchange_delivered_order_items", {"order_id": "#W2", "item_ids": [RED_1L], "new_item_ids": [BLUE_1L],
                                        "payment_method_id": "credit_card_1"}),
    ("return_delivered_order_items", {"order_id": "#W6", "item_ids": [WOOD], "payment_method_id": "gift_card_1"}),
    ("modify_pending_order_payment", {"order_id": "#W4", "payment_method_id": "credit_card_2"}),  # refused
    ("modify_user_address", {"user_id": "bo_chen_2", **NEW_ADDRESS}),
]


def test_replaying_the_same_calls_gives_identical_databases():
    envs = [Environment("retail", "", RetailTools(Database(make_store()))) for _ in range(2)]
    replies = [[env.get_response(ToolCall(name=n, arguments=a)) for n, a in CALLS] for env in envs]
    assert [m.error for m in replies[0]] == [False] * 5 + [True, False]
    assert replies[0][5].content == "Error: The new payment method should be different from the current one"
    assert [m.content for m in replies[0]] == [m.content for m in replies[1]]
    assert envs[0].agent_db_hash() == envs[1].agent_db_hash() != Database(make_store()).hash()
    validate_db(envs[0].agent_tools.data)  # tool writes keep the database valid


def test_validate_db_names_the_bad_field():
    store = make_store()
    del store["orders"]["#W1"]["items"][0]["price"]
    with pytest.raises(DataError, match=r"orders\.#W1\.items\.0\.price"):
        validate_db(store, path="db.json")
    store = make_store()
    store["users"]["ana_lima_1"]["payment_methods"]["gift_card_1"].pop("balance")
    with pytest.raises(DataError, match="balance"):
        validate_db(store)
    store = make_store()
    store["orders"]["#W4"]["user_id"] = "ghost"
    store["users"]["bo_chen_2"]["orders"].append("#W404")
    with pytest.raises(DataError, match="unknown user 'ghost'.*|unknown order '#W404'"):
        validate_db(store)
