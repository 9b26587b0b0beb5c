"""Airline tools on a small hand-built DB (happy paths and refusals) and on τ²-bench's reference data."""

from __future__ import annotations

import copy
import json

import pytest

from agentcl.data_model import ToolCall
from agentcl.domains.airline import DOMAIN
from agentcl.domains.airline.data_model import validate_airline_db
from agentcl.domains.airline.tools import CURRENT_TIME, AirlineTools
from agentcl.environment import Database, Environment, ToolKind
from agentcl.errors import DataError, ToolError
from agentcl.registry import load_domain
from helpers import REFERENCE_DATA

AIRLINE_TOOLS = {
    "book_reservation", "cancel_reservation", "get_reservation_details", "get_user_details",
    "list_all_airports", "search_direct_flight", "search_onestop_flight", "send_certificate",
    "update_reservation_baggages", "update_reservation_flights", "update_reservation_passengers",
    "get_flight_status", "calculate", "transfer_to_human_agents",
}


def _available(seats, prices):
    return {"status": "available", "available_seats": dict(zip(("basic_economy", "economy", "business"), seats)),
            "prices": dict(zip(("basic_economy", "economy", "business"), prices))}


def _flight(number, origin, destination, dep, arr, dates):
    return {"flight_number": number, "origin": origin, "destination": destination,
            "scheduled_departure_time_est": dep, "scheduled_arrival_time_est": arr, "dates": dates}


def _user(uid, first, membership, methods, reservations):
    return {"user_id": uid, "name": {"first_name": first, "last_name": "Tester"},
            "address": {"address1": "1 Main St", "address2": None, "city": "Austin", "country": "USA",
                        "state": "TX", "zip": "78701"},
            "email": f"{uid}@example.com", "dob": "1980-01-01", "payment_methods": {m["id"]: m for m in methods},
            "saved_passengers": [], "membership": membership, "reservations": reservations}


def small_db() -> dict:
    alice_pass = [{"first_name": "Alice", "last_name": "Tester", "dob": "1980-01-01"},
                  {"first_name": "Ben", "last_name": "Tester", "dob": "2010-02-02"}]
    return {
        "flights": {
            "HAT100": _flight("HAT100", "JFK", "LAX", "08:00:00", "11:00:00", {
                "2024-05-14": {"status": "landed", "actual_departure_time_est": "2024-05-14T08:05:00",
                               "actual_arrival_time_est": "2024-05-14T11:02:00"},
                "2024-05-15": {"status": "delayed", "estimated_departure_time_est": "2024-05-15T18:00:00",
                               "estimated_arrival_time_est": "2024-05-15T21:00:00"},
                "2024-05-20": _available((5, 2, 1), (80, 150, 400)),
                "2024-05-21": _available((9, 9, 9), (60, 120, 300)),
                "2024-05-22": {"status": "cancelled"},
            }),
            "HAT200": _flight("HAT200", "LAX", "SFO", "13:00:00", "14:30:00",
                              {"2024-05-20": _available((9, 9, 9), (50, 100, 200))}),
            "HAT300": _flight("HAT300", "LAX", "SFO", "10:00:00", "11:30:00",  # leaves before HAT100 lands
                              {"2024-05-20": _available((9, 9, 9), (50, 100, 200))}),
            "HAT400": _flight("HAT400", "JFK", "DEN", "22:00:00", "02:00:00+1",
                              {"2024-05-20": _available((9, 9, 9), (70, 130, 350))}),
            "HAT500": _flight("HAT500", "DEN", "SFO", "06:00:00", "08:00:00",
                              {"2024-05-20": _available((9, 9, 9), (10, 20, 30)),
                               "2024-05-21": _available((9, 9, 9), (40, 90, 210))}),
        },
        "users": {
            "alice_1": _user("alice_1", "Alice", "regular", [
                {"source": "credit_card", "brand": "visa", "last_four": "1111", "id": "credit_card_1"},
                {"source": "gift_card", "amount": 100, "id": "gift_card_1"},
                {"source": "certificate", "amount": 150, "id": "certificate_1"},
            ], ["ABC123", "CXL999"]),
            "bob_2": _user("bob_2", "Bob", "gold", [
                {"source": "credit_card", "brand": "amex", "last_four": "2222", "id": "credit_card_2"}], []),
        },
        "reservations": {
            "ABC123": {"reservation_id": "ABC123", "user_id": "alice_1", "origin": "JFK", "destination": "LAX",
                       "flight_type": "one_way", "cabin": "economy",
                       "flights": [{"origin": "JFK", "destination": "LAX", "flight_number": "HAT100",
                                    "date": "2024-05-20", "price": 140}],
                       "passengers": alice_pass, "payment_history": [{"payment_id": "credit_card_1", "amount": 280}],
                       "created_at": "2024-05-10T10:00:00", "total_baggages": 1, "nonfree_baggages": 0,
                       "insurance": "no"},
            "CXL999": {"reservation_id": "CXL999", "user_id": "alice_1", "origin": "JFK", "destination": "LAX",
                       "flight_type": "one_way", "cabin": "economy",
                       "flights": [{"origin": "JFK", "destination": "LAX", "flight_number": "HAT100",
                                    "date": "2024-05-21", "price": 100}],
                       "passengers": alice_pass[:1],
                       "payment_history": [{"payment_id": "credit_card_1", "amount": 100},
                                           {"payment_id": "credit_card_1", "amount": -100}],
                       "created_at": "2024-05-01T10:00:00", "total_baggages": 0, "nonfree_baggages": 0,
                       "insurance": "no", "status": "cancelled"},
        },
    }


@pytest.fixture
def tools() -> AirlineTools:
    return AirlineTools(Database(small_db()))


def call(tools: AirlineTools, name: str, **arguments):
    return tools.call_tool(name, arguments)


def refused(tools: AirlineTools, name: str, match: str, **arguments) -> None:
    """The call is refused with `match` in the message and leaves the DB untouched."""
    before = tools.db.hash()
    with pytest.raises(ToolError, match=match):
        call(tools, name, **arguments)
    assert tools.db.hash() == before


BOOKING = dict(user_id="alice_1", origin="JFK", destination="SFO", flight_type="one_way", cabin="economy",
               flights=[{"flight_number": "HAT100", "date": "2024-05-20"}, {"flight_number": "HAT200", "date": "2024-05-20"}],
               passengers=[{"first_name": "Alice", "last_name": "Tester", "dob": "1980-01-01"}],
               total_baggages=2, nonfree_baggages=1, insurance="yes")
BOOKING_TOTAL = 150 + 100 + 30 + 50  # two flights, insurance, one paid bag


# -- shape ---------------------------------------------------------------------------------------
def test_exactly_the_benchmark_tools_with_kinds_and_schemas(tools):
    assert set(AirlineTools.tool_names()) == AIRLINE_TOOLS
    writes = {n for n in AIRLINE_TOOLS if tools.tool_kind(n) is ToolKind.WRITE}
    assert writes == {"book_reservation", "cancel_reservation", "send_certificate", "update_reservation_baggages",
                      "update_reservation_flights", "update_reservation_passengers"}
    assert {n for n in AIRLINE_TOOLS if tools.tool_kind(n) is ToolKind.GENERIC} == {"calculate", "transfer_to_human_agents"}
    schemas = {s["function"]["name"]: s["function"] for s in tools.schemas()}
    book = schemas["book_reservation"]["parameters"]
    assert set(book["required"]) == set(BOOKING) | {"payment_methods"}
    assert book["properties"]["cabin"]["enum"] == ["basic_economy", "economy", "business"]
    assert all(schemas[n]["description"] for n in AIRLINE_TOOLS)
    assert schemas["search_direct_flight"]["parameters"]["properties"]["date"]["description"]


def test_domain_spec():
    assert DOMAIN.name == "airline" and DOMAIN.agent_toolkit is AirlineTools and DOMAIN.user_toolkit is None
    assert DOMAIN.default_num_tasks == 100 and DOMAIN.generator is not None


# -- reads -----------------------------------------------------------------------------------------
def test_user_and_reservation_lookups(tools):
    assert call(tools, "get_user_details", user_id="bob_2")["membership"] == "gold"
    assert call(tools, "get_reservation_details", reservation_id="ABC123")["cabin"] == "economy"
    refused(tools, "get_user_details", "User nobody not found", user_id="nobody")
    refused(tools, "get_reservation_details", "Reservation ZZZZZZ not found", reservation_id="ZZZZZZ")


def test_list_all_airports(tools):
    airports = call(tools, "list_all_airports")
    assert [a["iata"] for a in airports] == ["SFO", "JFK", "LAX", "DEN"]  # τ²-bench's order
    assert {"iata": "SFO", "city": "San Francisco"} in airports


def test_search_direct_only_bookable_dates(tools):
    found = call(tools, "search_direct_flight", origin="JFK", destination="LAX", date="2024-05-20")
    assert [f["flight_number"] for f in found] == ["HAT100"]
    assert found[0]["prices"]["economy"] == 150 and found[0]["date"] is None  # τ²-bench: null in direct results
    for day in ("2024-05-14", "2024-05-15", "2024-05-22", "2024-06-01"):  # landed, delayed, cancelled, none
        assert call(tools, "search_direct_flight", origin="JFK", destination="LAX", date=day) == []


def test_search_onestop_connects_after_landing_and_over_midnight(tools):
    found = call(tools, "search_onestop_flight", origin="JFK", destination="SFO", date="2024-05-20")
    pairs = [(a["flight_number"], a["date"], b["flight_number"], b["date"]) for a, b in found]
    assert ("HAT100", "2024-05-20", "HAT200", "2024-05-20") in pairs
    assert ("HAT400", "2024-05-20", "HAT500", "2024-05-21") in pairs  # lands after midnight: next day's flight
    assert not any(p[2] == "HAT300" for p in pairs)  # HAT300 leaves LAX before HAT100 lands
    assert ("HAT400", "2024-05-20", "HAT500", "2024-05-20") not in pairs
    assert len(pairs) == 2


def test_flight_status(tools):
    assert call(tools, "get_flight_status", flight_number="HAT100", date="2024-05-15") == "delayed"
    assert call(tools, "get_flight_status", flight_number="HAT100", date="2024-05-22") == "cancelled"
    refused(tools, "get_flight_status", "not found on date", flight_number="HAT100", date="2024-05-01")
    refused(tools, "get_flight_status", "Flight HAT999 not found", flight_number="HAT999", date="2024-05-20")


def test_calculate_and_transfer(tools):
    assert call(tools, "calculate", expression="2 * ((350 - 122) + (499 - 127))") == "1200.0"
    assert call(tools, "calculate", expression="10 / 4") == "2.5"
    assert call(tools, "calculate", expression="-(3 + 4) * 2") == "-14.0"
    for bad in ("__import__('os')", "2 ** 8", "abc", "1 +"):
        refused(tools, "calculate", "invalid expression", expression=bad)
    refused(tools, "calculate", "division by zero", expression="1 / 0")
    assert call(tools, "transfer_to_human_agents", summary="needs help") == "Transfer successful"


# -- booking -------------------------------------------------------------------------------------
def test_book_with_certificate_gift_card_and_card(tools):
    payments = [{"payment_id": "certificate_1", "amount": 150}, {"payment_id": "gift_card_1", "amount": 80},
                {"payment_id": "credit_card_1", "amount": BOOKING_TOTAL - 230}]
    twin = AirlineTools(tools.db.copy())
    res = call(tools, "book_reservation", **BOOKING, payment_methods=payments)
    assert res["created_at"] == CURRENT_TIME and res["status"] is None and res["reservation_id"] == "HATHAT"
    assert [f["price"] for f in res["flights"]] == [150, 100]
    assert [f["origin"] for f in res["flights"]] == ["JFK", "LAX"]
    assert res["payment_history"] == payments
    alice = tools.data["users"]["alice_1"]
    assert "certificate_1" not in alice["payment_methods"]  # a certificate is used up
    assert alice["payment_methods"]["gift_card_1"]["amount"] == 20
    assert alice["reservations"][-1] == res["reservation_id"]
    assert tools.data["flights"]["HAT100"]["dates"]["2024-05-20"]["available_seats"]["economy"] == 1
    assert {**tools.data["reservations"][res["reservation_id"]], "status": None} == res
    # Deterministic: the same booking on the same DB gets the same id and leaves the same DB.
    again = call(twin, "book_reservation", **BOOKING, payment_methods=payments)
    assert again["reservation_id"] == res["reservation_id"] and twin.db.hash() == tools.db.hash()


def test_second_booking_gets_a_new_id(tools):
    basic = {**BOOKING, "cabin": "basic_economy", "payment_methods": [{"payment_id": "credit_card_1", "amount": 80 + 50 + 30 + 50}]}
    ids = [call(tools, "book_reservation", **basic)["reservation_id"] for _ in range(3)]
    assert ids == ["HATHAT", "HATHAU", "HATHAV"] and set(ids) <= set(tools.data["reservations"])  # as τ²-bench
    refused(tools, "book_reservation", "Too many reservations", **basic)


@pytest.mark.parametrize("change, match", [
    ({"user_id": "nobody"}, "User nobody not found"),
    ({"payment_methods": [{"payment_id": "credit_card_999", "amount": BOOKING_TOTAL}]}, "Payment method credit_card_999 not found"),
    ({"payment_methods": [{"payment_id": "credit_card_2", "amount": BOOKING_TOTAL}]}, "Payment method credit_card_2 not found"),
    ({"payment_methods": [{"payment_id": "gift_card_1", "amount": 101},
                          {"payment_id": "credit_card_1", "amount": BOOKING_TOTAL - 101}]}, "Not enough balance in payment method gift_card_1"),
    ({"payment_methods": [{"payment_id": "certificate_1", "amount": 200},
                          {"payment_id": "credit_card_1", "amount": BOOKING_TOTAL - 200}]}, "Not enough balance in payment method certificate_1"),
    ({"payment_methods": [{"payment_id": "credit_card_1", "amount": BOOKING_TOTAL - 1}]}, f"total price is {BOOKING_TOTAL}, but paid {BOOKING_TOTAL - 1}"),
    ({"flights": [{"flight_number": "HAT100", "date": "2024-05-22"}]}, "Flight HAT100 not available on date 2024-05-22"),
    ({"flights": [{"flight_number": "HAT100", "date": "2024-05-14"}]}, "Flight HAT100 not available on date 2024-05-14"),
    ({"flights": [{"flight_number": "HAT100", "date": "2024-06-09"}]}, "Flight HAT100 not found on date 2024-06-09"),
    ({"flights": [{"flight_number": "HAT999", "date": "2024-05-20"}]}, "Flight HAT999 not found"),
    ({"cabin": "business", "passengers": BOOKING["passengers"] * 2}, "Not enough seats on flight HAT100"),
    ({"cabin": "first"}, "invalid arguments for book_reservation: cabin"),
    ({"insurance": "maybe"}, "invalid arguments for book_reservation: insurance"),
    ({"passengers": []}, "Payment amount does not add up, total price is 50, but paid 330"),
    ({"nonfree_baggages": 3}, "Payment amount does not add up, total price is 430"),
])
def test_book_refusals_leave_db_unchanged(tools, change, match):
    arguments = {**BOOKING, "payment_methods": [{"payment_id": "credit_card_1", "amount": BOOKING_TOTAL}], **change}
    refused(tools, "book_reservation", match, **arguments)


def test_book_checks_each_payment_alone_as_tau2_does(tools):
    """τ²-bench checks each listed payment against the balance on its own: a gift card listed twice
    passes and is overdrawn. Kept, so the same conversation leaves the same database there and here."""
    payments = [{"payment_id": "gift_card_1", "amount": 60}, {"payment_id": "gift_card_1", "amount": 60},
                {"payment_id": "credit_card_1", "amount": BOOKING_TOTAL - 120}]
    call(tools, "book_reservation", **BOOKING, payment_methods=payments)
    assert tools.data["users"]["alice_1"]["payment_methods"]["gift_card_1"]["amount"] == 100 - 120


# -- cancel ---------------------------------------------------------------------------------------
def test_cancel_refunds_every_payment_once(tools):
    res = call(tools, "cancel_reservation", reservation_id="ABC123")
    assert res["status"] == "cancelled"
    assert res["payment_history"] == [{"payment_id": "credit_card_1", "amount": 280},
                                      {"payment_id": "credit_card_1", "amount": -280}]
    refused(tools, "cancel_reservation", "Reservation NOPE00 not found", reservation_id="NOPE00")


def test_cancelling_again_refunds_again_as_tau2_does(tools):
    """τ²-bench's cancel_reservation has no status check: a second cancel appends the refunds of
    every entry again (so the same conversation leaves the same database there and here)."""
    call(tools, "cancel_reservation", reservation_id="ABC123")
    again = call(tools, "cancel_reservation", reservation_id="ABC123")
    assert [p["amount"] for p in again["payment_history"]] == [280, -280, -280, 280]
    assert again["status"] == "cancelled"


# -- updates ---------------------------------------------------------------------------------------
def test_add_bags_charges_only_new_nonfree_bags(tools):
    res = call(tools, "update_reservation_baggages", reservation_id="ABC123", total_baggages=2, nonfree_baggages=0,
               payment_id="credit_card_1")
    assert res["total_baggages"] == 2 and len(res["payment_history"]) == 1  # nothing owed, no payment record
    res = call(tools, "update_reservation_baggages", reservation_id="ABC123", total_baggages=4, nonfree_baggages=2,
               payment_id="gift_card_1")
    assert res["payment_history"][-1] == {"payment_id": "gift_card_1", "amount": 100}
    assert tools.data["users"]["alice_1"]["payment_methods"]["gift_card_1"]["amount"] == 0
    refused(tools, "update_reservation_baggages", "Gift card balance is not enough", reservation_id="ABC123",
            total_baggages=5, nonfree_baggages=3, payment_id="gift_card_1")
    refused(tools, "update_reservation_baggages", "Certificate cannot be used", reservation_id="ABC123",
            total_baggages=5, nonfree_baggages=3, payment_id="certificate_1")
    refused(tools, "update_reservation_baggages", "Payment method not found", reservation_id="ABC123",
            total_baggages=5, nonfree_baggages=3, payment_id="credit_card_2")


def test_change_flight_date_charges_the_difference(tools):
    res = call(tools, "update_reservation_flights", reservation_id="ABC123", cabin="economy",
               flights=[{"flight_number": "HAT100", "date": "2024-05-21"}], payment_id="credit_card_1")
    assert res["flights"][0]["date"] == "2024-05-21" and res["flights"][0]["price"] == 120
    assert res["payment_history"][-1] == {"payment_id": "credit_card_1", "amount": (120 - 140) * 2}


def test_kept_segment_keeps_its_booked_price(tools):
    res = call(tools, "update_reservation_flights", reservation_id="ABC123", cabin="economy",
               flights=[{"flight_number": "HAT100", "date": "2024-05-20"}], payment_id="credit_card_1")
    assert res["flights"][0]["price"] == 140 and len(res["payment_history"]) == 1  # today's price is 150


def test_cabin_change_refund_goes_back_to_gift_card(tools):
    res = call(tools, "update_reservation_flights", reservation_id="ABC123", cabin="basic_economy",
               flights=[{"flight_number": "HAT100", "date": "2024-05-20"}], payment_id="gift_card_1")
    assert res["cabin"] == "basic_economy" and res["flights"][0]["price"] == 80
    assert res["payment_history"][-1] == {"payment_id": "gift_card_1", "amount": -120}
    assert tools.data["users"]["alice_1"]["payment_methods"]["gift_card_1"]["amount"] == 220


def test_flight_update_refusals(tools):
    base = dict(reservation_id="ABC123", cabin="economy", payment_id="credit_card_1")
    refused(tools, "update_reservation_flights", "not available on date 2024-05-22",
            **base, flights=[{"flight_number": "HAT100", "date": "2024-05-22"}])
    refused(tools, "update_reservation_flights", "Not enough seats on flight HAT100",
            **{**base, "cabin": "business"}, flights=[{"flight_number": "HAT100", "date": "2024-05-20"}])
    refused(tools, "update_reservation_flights", "Gift card balance is not enough",
            **{**base, "cabin": "business", "payment_id": "gift_card_1"}, flights=[{"flight_number": "HAT100", "date": "2024-05-21"}])
    refused(tools, "update_reservation_flights", "Certificate cannot be used",
            **{**base, "payment_id": "certificate_1"}, flights=[{"flight_number": "HAT100", "date": "2024-05-21"}])
    refused(tools, "update_reservation_flights", "Reservation XYZ not found",
            **{**base, "reservation_id": "XYZ"}, flights=[])


def test_update_passengers_keeps_the_count(tools):
    new = [{"first_name": "Alice", "last_name": "Tester", "dob": "1980-01-01"},
           {"first_name": "Cleo", "last_name": "Other", "dob": "1999-09-09"}]
    assert call(tools, "update_reservation_passengers", reservation_id="ABC123", passengers=new)["passengers"] == new
    refused(tools, "update_reservation_passengers", "Number of passengers does not match",
            reservation_id="ABC123", passengers=new[:1])
    refused(tools, "update_reservation_passengers", "invalid arguments", reservation_id="ABC123",
            passengers=[{"first_name": "No", "last_name": "Dob"}] * 2)


def test_send_certificate_ids_are_deterministic_and_fresh(tools):
    twin = AirlineTools(tools.db.copy())
    text = call(tools, "send_certificate", user_id="bob_2", amount=100)
    assert text == call(twin, "send_certificate", user_id="bob_2", amount=100)
    cert_id = text.split()[1]
    assert cert_id == "certificate_3221322"  # τ²-bench's first new certificate id
    assert tools.data["users"]["bob_2"]["payment_methods"][cert_id] == {"source": "certificate", "id": cert_id, "amount": 100}
    second = call(tools, "send_certificate", user_id="bob_2", amount=50).split()[1]
    assert second != cert_id and len(tools.data["users"]["bob_2"]["payment_methods"]) == 3
    refused(tools, "send_certificate", "User nobody not found", user_id="nobody", amount=100)


def test_errors_reach_the_caller_as_tool_messages():
    env = Environment("airline", "", AirlineTools(Database(small_db())))
    message = env.get_response(ToolCall(name="cancel_reservation", arguments={"reservation_id": "NOPE00"}))
    assert message.error and message.content == "Error: Reservation NOPE00 not found"
    ok = env.get_response(ToolCall(name="get_reservation_details", arguments={"reservation_id": "ABC123"}))
    assert not ok.error and json.loads(ok.content)["reservation_id"] == "ABC123"


# -- DB validation ---------------------------------------------------------------------------------
def test_validation_names_the_bad_field():
    validate_airline_db(small_db())
    broken = small_db()
    broken["reservations"]["ABC123"]["flights"][0]["price"] = "cheap"
    with pytest.raises(DataError, match=r"reservations\.ABC123\.flights\.0\.price"):
        validate_airline_db(broken)
    dangling = small_db()
    dangling["users"]["bob_2"]["reservations"] = ["GHOST1"]
    with pytest.raises(DataError, match=r"users\.bob_2\.reservations\.0: unknown reservation 'GHOST1'"):
        validate_airline_db(dangling)
    bad_status = copy.deepcopy(small_db())
    bad_status["flights"]["HAT200"]["dates"]["2024-05-20"]["status"] = "boarding"
    with pytest.raises(DataError, match=r"flights\.HAT200\.dates\.2024-05-20"):
        validate_airline_db(bad_status)


# -- τ²-bench reference data ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference():
    return load_domain("airline", REFERENCE_DATA)


def test_reference_db_validates(reference):
    db = validate_airline_db(reference.db.data)
    assert len(db.flights) == 300 and len(db.users) == 500 and len(db.reservations) == 2000


@pytest.mark.slow
def test_every_reference_gold_replay_and_gold_conversation(reference):
    """All 30 reference tasks: gold actions replay with no error (none of this train split fails on
    purpose with these tools) and a conversation made of them scores 1.0 with the lead's evaluator."""
    from agentcl.check_data import check_task

    writes = []
    for task in reference.tasks:
        result = check_task(task, reference)
        assert result.gold_errors == [], (task.id, result.gold_errors)
        assert result.ok, (task.id, result.problems)
        if result.gold_writes:
            writes.append(task.id)
    assert writes == ["7", "11", "12", "14", "15", "17", "20", "21", "23", "33", "39", "40", "42"]


def test_reference_booking_matches_the_benchmark_numbers(reference):
    """Task 14's gold booking: 3 passengers, 3 business flights; the payments add up to the price."""
    env = reference.make_environment()
    book = next(a for a in reference.task("14").gold_actions if a.name == "book_reservation")
    message = env.get_response(ToolCall(name=book.name, arguments=book.arguments))
    assert not message.error, message.content
    res = json.loads(message.content)
    assert sum(p["amount"] for p in res["payment_history"]) == sum(f["price"] for f in res["flights"]) * 3
    assert "certificate_3765853" not in env.agent_tools.data["users"]["mohamed_silva_9265"]["payment_methods"]
