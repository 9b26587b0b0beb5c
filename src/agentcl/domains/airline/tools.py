"""Airline domain: the agent's 14 tools over a DB of flights, users and reservations.

Names, arguments and effects follow τ²-bench's airline domain. Policy rules (who may cancel,
compensation, basic economy limits) are NOT enforced here, as in the benchmark: the agent must
check them. The tools refuse (ToolError) only what the system itself cannot do: unknown ids,
missing payment methods, short balances, flights that cannot be booked, wrong passenger counts.

Everything a tool creates is deterministic given the DB state (no clock, no randomness), so a
replay of the gold actions and a replay of a conversation reach the same DB when they do the
same things:
- the current time is the fixed CURRENT_TIME;
- a new reservation id is a hash of the booking user and the number of reservations;
- a new certificate id is a hash of the user and their number of payment methods.
"""

from __future__ import annotations

import hashlib
from datetime import date as Date
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ...environment import Toolkit, ToolKind, tool
from ...environment.arithmetic import calculate_text
from ...errors import ToolError
from .airports import AIRPORT_CITIES

CURRENT_TIME = "2024-05-15T15:00:00"
CABINS = ("basic_economy", "economy", "business")
INSURANCE_PRICE_PER_PASSENGER = 30
BAG_PRICE = 50
RESERVATION_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

Cabin = Literal["basic_economy", "economy", "business"]


class _Arg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlightInfo(_Arg):
    flight_number: str
    date: str


class Passenger(_Arg):
    first_name: str
    last_name: str
    dob: str


class PaymentItem(_Arg):
    payment_id: str
    amount: int | float


def money(value: float) -> int | float:
    """Amounts are stored as ints when whole, else rounded to cents (so 500 and 500.0 hash the same)."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def _stable_digits(text: str, n: int) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[-n:].rjust(n, "0")


def _stable_code(text: str, n: int = 6) -> str:
    number = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    chars = []
    for _ in range(n):
        number, index = divmod(number, len(RESERVATION_ID_ALPHABET))
        chars.append(RESERVATION_ID_ALPHABET[index])
    return "".join(chars)


def _clock_time(scheduled: str) -> str:
    """'HH:MM:SS' from a scheduled time that may carry '+1' (arrives the next day)."""
    return scheduled.split("+")[0]


def _next_day(day: str) -> str:
    try:
        return (Date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError:
        raise ToolError(f"invalid date {day!r}; use YYYY-MM-DD") from None


class AirlineTools(Toolkit):
    name = "airline_agent"

    # -- lookups -----------------------------------------------------------------------------
    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.data["users"].get(user_id)
        if user is None:
            raise ToolError(f"User {user_id} not found")
        return user

    def _reservation(self, reservation_id: str) -> dict[str, Any]:
        reservation = self.data["reservations"].get(reservation_id)
        if reservation is None:
            raise ToolError(f"Reservation {reservation_id} not found")
        return reservation

    def _active_reservation(self, reservation_id: str) -> dict[str, Any]:
        reservation = self._reservation(reservation_id)
        if reservation.get("status") == "cancelled":
            raise ToolError(f"Reservation {reservation_id} is cancelled")
        return reservation

    def _flight(self, flight_number: str) -> dict[str, Any]:
        flight = self.data["flights"].get(flight_number)
        if flight is None:
            raise ToolError(f"Flight {flight_number} not found")
        return flight

    def _flight_on(self, flight_number: str, day: str) -> dict[str, Any]:
        instance = self._flight(flight_number)["dates"].get(day)
        if instance is None:
            raise ToolError(f"Flight {flight_number} not found on date {day}")
        return instance

    def _bookable(self, flight_number: str, day: str, cabin: str, n_passengers: int) -> dict[str, Any]:
        """The flight's entry for `day`, checked to be on sale with enough seats in `cabin`."""
        instance = self._flight_on(flight_number, day)
        if instance.get("status") != "available":
            raise ToolError(f"Flight {flight_number} not available on date {day}")
        if instance["available_seats"][cabin] < n_passengers:
            raise ToolError(f"Not enough seats on flight {flight_number}")
        return instance

    def _search(self, day: str, origin: str | None, destination: str | None,
                leave_after: str | None = None) -> list[dict[str, Any]]:
        results = []
        for flight in self.data["flights"].values():
            if origin is not None and flight["origin"] != origin:
                continue
            if destination is not None and flight["destination"] != destination:
                continue
            instance = flight["dates"].get(day)
            if instance is None or instance.get("status") != "available":
                continue
            if leave_after is not None and flight["scheduled_departure_time_est"] < leave_after:
                continue
            results.append({
                "flight_number": flight["flight_number"],
                "origin": flight["origin"],
                "destination": flight["destination"],
                "status": "available",
                "scheduled_departure_time_est": flight["scheduled_departure_time_est"],
                "scheduled_arrival_time_est": flight["scheduled_arrival_time_est"],
                "date": day,
                "available_seats": dict(instance["available_seats"]),
                "prices": dict(instance["prices"]),
            })
        return results

    # -- ids -----------------------------------------------------------------------------------
    def _new_reservation_id(self, user_id: str) -> str:
        reservations = self.data["reservations"]
        for attempt in range(1000):
            candidate = _stable_code(f"reservation|{user_id}|{len(reservations)}|{attempt}")
            if candidate not in reservations:
                return candidate
        raise ToolError("could not allocate a reservation id")

    def _new_certificate_id(self, user: dict[str, Any], user_id: str) -> str:
        methods = user["payment_methods"]
        for attempt in range(1000):
            candidate = f"certificate_{_stable_digits(f'certificate|{user_id}|{len(methods)}|{attempt}', 7)}"
            if candidate not in methods:
                return candidate
        raise ToolError("could not allocate a certificate id")

    # -- payments ------------------------------------------------------------------------------
    def _charge_for_update(self, user: dict[str, Any], payment_id: str, amount: float) -> dict[str, Any] | None:
        """Charge (amount > 0) or refund (amount < 0) one gift card or credit card of the user.

        Returns the payment record to append to the reservation, or None when nothing is owed.
        """
        method = user["payment_methods"].get(payment_id)
        if method is None:
            raise ToolError("Payment method not found")
        if method["source"] == "certificate":
            raise ToolError("Certificate cannot be used to update reservation")
        if method["source"] == "gift_card":
            if method["amount"] < amount:
                raise ToolError("Gift card balance is not enough")
            method["amount"] = money(method["amount"] - amount)
        if amount == 0:
            return None
        return {"payment_id": payment_id, "amount": money(amount)}

    # -- tools ---------------------------------------------------------------------------------
    @tool(ToolKind.WRITE)
    def book_reservation(
        self,
        user_id: str,
        origin: str,
        destination: str,
        flight_type: Literal["one_way", "round_trip"],
        cabin: Cabin,
        flights: list[FlightInfo],
        passengers: list[Passenger],
        payment_methods: list[PaymentItem],
        total_baggages: int,
        nonfree_baggages: int,
        insurance: Literal["yes", "no"],
    ) -> dict[str, Any]:
        """Book a reservation.

        Args:
            user_id: The id of the user booking, such as 'sara_doe_496'.
            origin: IATA code of the origin city, such as 'SFO'.
            destination: IATA code of the destination city, such as 'JFK'.
            flight_type: Type of the trip, 'one_way' or 'round_trip'.
            cabin: Cabin class: 'basic_economy', 'economy' or 'business'.
            flights: Every flight segment of the trip, in order, each with 'flight_number' and 'date' (YYYY-MM-DD).
            passengers: Each passenger's 'first_name', 'last_name' and 'dob' (YYYY-MM-DD).
            payment_methods: The payments, each with 'payment_id' (from the user's profile) and 'amount'; they must add up to the total price.
            total_baggages: Total number of checked bags.
            nonfree_baggages: Number of checked bags that must be paid for.
            insurance: Whether the reservation has travel insurance, 'yes' or 'no'.
        """
        user = self._user(user_id)
        if not passengers:
            raise ToolError("A reservation needs at least one passenger")
        if not flights:
            raise ToolError("A reservation needs at least one flight")
        if total_baggages < 0 or nonfree_baggages < 0 or nonfree_baggages > total_baggages:
            raise ToolError("Baggage counts must be non-negative and nonfree_baggages at most total_baggages")
        n = len(passengers)
        segments, instances, total_price = [], [], 0
        for info in flights:
            flight = self._flight(info.flight_number)
            instance = self._bookable(info.flight_number, info.date, cabin, n)
            price = instance["prices"][cabin]
            segments.append({"origin": flight["origin"], "destination": flight["destination"],
                             "flight_number": info.flight_number, "date": info.date, "price": price})
            instances.append(instance)
            total_price += price * n
        if insurance == "yes":
            total_price += INSURANCE_PRICE_PER_PASSENGER * n
        total_price += BAG_PRICE * nonfree_baggages

        # Check every payment before changing anything.
        per_method: dict[str, float] = {}
        for payment in payment_methods:
            if payment.amount <= 0:
                raise ToolError(f"Payment amount for {payment.payment_id} must be positive")
            if payment.payment_id not in user["payment_methods"]:
                raise ToolError(f"Payment method {payment.payment_id} not found")
            per_method[payment.payment_id] = per_method.get(payment.payment_id, 0) + payment.amount
        for payment_id, amount in per_method.items():
            method = user["payment_methods"][payment_id]
            if method["source"] in ("gift_card", "certificate") and method["amount"] < amount:
                raise ToolError(f"Not enough balance in payment method {payment_id}")
        paid = sum(p.amount for p in payment_methods)
        if money(paid) != money(total_price):
            raise ToolError(f"Payment amount does not add up, total price is {money(total_price)}, "
                            f"but paid {money(paid)}")

        for payment_id, amount in per_method.items():
            method = user["payment_methods"][payment_id]
            if method["source"] == "gift_card":
                method["amount"] = money(method["amount"] - amount)
            elif method["source"] == "certificate":  # a certificate is used once; any rest is lost
                del user["payment_methods"][payment_id]
        for instance in instances:
            instance["available_seats"][cabin] -= n

        reservation_id = self._new_reservation_id(user_id)
        reservation = {
            "reservation_id": reservation_id,
            "user_id": user_id,
            "origin": origin,
            "destination": destination,
            "flight_type": flight_type,
            "cabin": cabin,
            "flights": segments,
            "passengers": [p.model_dump() for p in passengers],
            "payment_history": [{"payment_id": p.payment_id, "amount": money(p.amount)} for p in payment_methods],
            "created_at": CURRENT_TIME,
            "total_baggages": total_baggages,
            "nonfree_baggages": nonfree_baggages,
            "insurance": insurance,
        }
        self.data["reservations"][reservation_id] = reservation
        user["reservations"].append(reservation_id)
        return reservation

    @tool(ToolKind.WRITE)
    def cancel_reservation(self, reservation_id: str) -> dict[str, Any]:
        """Cancel the whole reservation; every payment is refunded to its original method.

        Args:
            reservation_id: The reservation id, such as 'ZFA04Y'.
        """
        reservation = self._active_reservation(reservation_id)
        refunds = [{"payment_id": p["payment_id"], "amount": money(-p["amount"])}
                   for p in reservation["payment_history"]]
        reservation["payment_history"].extend(refunds)
        reservation["status"] = "cancelled"
        return reservation

    @tool(ToolKind.READ)
    def get_reservation_details(self, reservation_id: str) -> dict[str, Any]:
        """Get the details of a reservation.

        Args:
            reservation_id: The reservation id, such as '8JX2WO'.
        """
        return self._reservation(reservation_id)

    @tool(ToolKind.READ)
    def get_user_details(self, user_id: str) -> dict[str, Any]:
        """Get the details of a user, including their payment methods and reservation ids.

        Args:
            user_id: The user id, such as 'sara_doe_496'.
        """
        return self._user(user_id)

    @tool(ToolKind.READ)
    def list_all_airports(self) -> list[dict[str, str]]:
        """List every airport the airline flies to, with its IATA code and city."""
        codes = sorted({f["origin"] for f in self.data["flights"].values()}
                       | {f["destination"] for f in self.data["flights"].values()})
        return [{"iata": code, "city": AIRPORT_CITIES.get(code, code)} for code in codes]

    @tool(ToolKind.READ)
    def search_direct_flight(self, origin: str, destination: str, date: str) -> list[dict[str, Any]]:
        """Search direct flights between two cities on a date that can still be booked.

        Args:
            origin: IATA code of the origin city, such as 'JFK'.
            destination: IATA code of the destination city, such as 'LAX'.
            date: The date of the flight, in the format 'YYYY-MM-DD', such as '2024-01-01'.
        """
        return self._search(date, origin, destination)

    @tool(ToolKind.READ)
    def search_onestop_flight(self, origin: str, destination: str, date: str) -> list[list[dict[str, Any]]]:
        """Search itineraries with exactly one stop between two cities, leaving on a date.

        The second flight leaves after the first lands, on the same day or the next day when the
        first lands after midnight.

        Args:
            origin: IATA code of the origin city, such as 'JFK'.
            destination: IATA code of the destination city, such as 'LAX'.
            date: The date of the first flight, in the format 'YYYY-MM-DD', such as '2024-05-01'.
        """
        itineraries = []
        for first in self._search(date, origin, None):
            if first["destination"] == destination:
                continue
            arrival = first["scheduled_arrival_time_est"]
            second_day = _next_day(date) if "+1" in arrival else date
            for second in self._search(second_day, first["destination"], destination,
                                       leave_after=_clock_time(arrival)):
                itineraries.append([first, second])
        return itineraries

    @tool(ToolKind.WRITE)
    def send_certificate(self, user_id: str, amount: int) -> str:
        """Send a travel certificate to a user, e.g. as compensation.

        Args:
            user_id: The id of the user receiving the certificate, such as 'sara_doe_496'.
            amount: The amount of the certificate, in dollars.
        """
        user = self._user(user_id)
        if amount <= 0:
            raise ToolError("Certificate amount must be positive")
        certificate_id = self._new_certificate_id(user, user_id)
        user["payment_methods"][certificate_id] = {"source": "certificate", "amount": amount, "id": certificate_id}
        return f"Certificate {certificate_id} added to user {user_id} with amount {amount}."

    @tool(ToolKind.WRITE)
    def update_reservation_baggages(
        self, reservation_id: str, total_baggages: int, nonfree_baggages: int, payment_id: str
    ) -> dict[str, Any]:
        """Update the checked bags of a reservation; each extra non-free bag costs 50 dollars.

        Args:
            reservation_id: The reservation id, such as 'ZFA04Y'.
            total_baggages: The new total number of checked bags.
            nonfree_baggages: The new number of checked bags that must be paid for.
            payment_id: The gift card or credit card (from the user's profile) that pays for new non-free bags, such as 'credit_card_7815826'.
        """
        reservation = self._active_reservation(reservation_id)
        if total_baggages < 0 or nonfree_baggages < 0 or nonfree_baggages > total_baggages:
            raise ToolError("Baggage counts must be non-negative and nonfree_baggages at most total_baggages")
        user = self._user(reservation["user_id"])
        price = BAG_PRICE * max(0, nonfree_baggages - reservation["nonfree_baggages"])
        payment = self._charge_for_update(user, payment_id, price)
        if payment is not None:
            reservation["payment_history"].append(payment)
        reservation["total_baggages"] = total_baggages
        reservation["nonfree_baggages"] = nonfree_baggages
        return reservation

    @tool(ToolKind.WRITE)
    def update_reservation_flights(
        self, reservation_id: str, cabin: Cabin, flights: list[FlightInfo], payment_id: str
    ) -> dict[str, Any]:
        """Update the flights and/or the cabin of a reservation; the price difference is charged or refunded.

        Args:
            reservation_id: The reservation id, such as 'ZFA04Y'.
            cabin: The cabin class of the reservation after the change.
            flights: ALL flight segments of the reservation after the change, each with 'flight_number' and 'date'. Segments kept unchanged (same flight, date and cabin) keep the price they were booked at.
            payment_id: The gift card or credit card (from the user's profile) that pays or receives the difference, such as 'credit_card_7815826'.
        """
        reservation = self._active_reservation(reservation_id)
        if not flights:
            raise ToolError("A reservation needs at least one flight")
        user = self._user(reservation["user_id"])
        n = len(reservation["passengers"])
        new_segments, total_price = [], 0
        for info in flights:
            kept = next((s for s in reservation["flights"] if s["flight_number"] == info.flight_number
                         and s["date"] == info.date and cabin == reservation["cabin"]), None)
            if kept is not None:
                new_segments.append(kept)
                total_price += kept["price"] * n
                continue
            flight = self._flight(info.flight_number)
            instance = self._bookable(info.flight_number, info.date, cabin, n)
            price = instance["prices"][cabin]
            new_segments.append({"origin": flight["origin"], "destination": flight["destination"],
                                 "flight_number": info.flight_number, "date": info.date, "price": price})
            total_price += price * n
        total_price -= sum(s["price"] for s in reservation["flights"]) * n
        payment = self._charge_for_update(user, payment_id, total_price)
        if payment is not None:
            reservation["payment_history"].append(payment)
        reservation["flights"] = new_segments
        reservation["cabin"] = cabin
        return reservation

    @tool(ToolKind.WRITE)
    def update_reservation_passengers(self, reservation_id: str, passengers: list[Passenger]) -> dict[str, Any]:
        """Update the passengers of a reservation; the number of passengers cannot change.

        Args:
            reservation_id: The reservation id, such as 'ZFA04Y'.
            passengers: Every passenger after the change, each with 'first_name', 'last_name' and 'dob'.
        """
        reservation = self._active_reservation(reservation_id)
        if len(passengers) != len(reservation["passengers"]):
            raise ToolError("Number of passengers does not match")
        reservation["passengers"] = [p.model_dump() for p in passengers]
        return reservation

    @tool(ToolKind.READ)
    def get_flight_status(self, flight_number: str, date: str) -> str:
        """Get the status of a flight on a date ('available', 'on time', 'delayed', 'flying', 'landed' or 'cancelled').

        Args:
            flight_number: The flight number, such as 'HAT001'.
            date: The date of the flight, in the format 'YYYY-MM-DD'.
        """
        return self._flight_on(flight_number, date)["status"]

    @tool(ToolKind.GENERIC)
    def calculate(self, expression: str) -> str:
        """Calculate the result of an arithmetic expression.

        Args:
            expression: The expression, with numbers, +, -, *, / and parentheses, such as '2 * (350 - 122)'.
        """
        return calculate_text(expression)

    @tool(ToolKind.GENERIC)
    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent, with a summary of the user's issue.

        Use only when the request cannot be handled with the other tools under the policy.

        Args:
            summary: A summary of the user's issue.
        """
        return "Transfer successful"
