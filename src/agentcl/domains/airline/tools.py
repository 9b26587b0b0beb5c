"""Airline domain: the agent's 14 tools over a DB of flights, users and reservations.

Names, arguments, effects, outputs and error texts follow τ²-bench's airline domain, so the
agent sees here what it sees there. Policy rules (who may cancel, compensation, basic economy
limits) are NOT enforced here, as in the benchmark: the agent must check them. The tools refuse
(ToolError) only what τ²-bench's refuse: unknown ids, missing payment methods, short balances,
flights that cannot be booked, wrong passenger counts. As in τ²-bench, a cancelled reservation
is not refused: cancelling it again appends the refunds again.

Outputs are shown as τ²-bench's models dump them (`reservation_view`, `user_view`,
`_flight_view`): a reservation always carries `status` (null unless cancelled), a user its
`user_id`, gift card and certificate amounts are floats, arithmetic is plain float arithmetic.

Everything a tool creates is deterministic given the DB state (no clock, no randomness), as in
τ²-bench, so a replay of the gold actions and a replay of a conversation reach the same DB:
- the current time is the fixed CURRENT_TIME;
- a new reservation id is the first of HATHAT, HATHAU, HATHAV not yet taken (a fourth
  booking in one conversation fails);
- a new certificate id is the first of certificate_3221322 / 3221323 / 3221324 the user does
  not hold yet.
One-stop search keeps τ²-bench's reading of "next day" (the day number plus one, in May 2024)
and compares the connection's departure with the first arrival as text, "+1" included.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ...environment import Toolkit, ToolKind, tool
from ...environment.arithmetic import calculate_text
from ...errors import ToolError
from .airports import AIRPORT_CITIES, TAU2_AIRPORTS

CURRENT_TIME = "2024-05-15T15:00:00"
CABINS = ("basic_economy", "economy", "business")
INSURANCE_PRICE_PER_PASSENGER = 30
BAG_PRICE = 50
NEW_RESERVATION_IDS = ("HATHAT", "HATHAU", "HATHAV")
NEW_CERTIFICATE_NUMBERS = (3221322, 3221323, 3221324)

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


def reservation_view(reservation: dict[str, Any]) -> dict[str, Any]:
    """A reservation as τ²-bench dumps it: its fields in model order, `status` always present."""
    view = {k: reservation[k] for k in RESERVATION_FIELDS if k in reservation}
    view["flights"] = [{k: f[k] for k in ("flight_number", "origin", "destination", "date", "price") if k in f}
                       for f in reservation["flights"]]
    return {**view, **{k: v for k, v in reservation.items() if k not in view}, "status": reservation.get("status")}


def _payment_method_view(method: dict[str, Any]) -> dict[str, Any]:
    view = {"source": method["source"], "id": method["id"], **method}
    if "amount" in view:
        view["amount"] = float(view["amount"])
    return view


def user_view(user_id: str, user: dict[str, Any]) -> dict[str, Any]:
    """A user as τ²-bench dumps it: `user_id` first (the key when the data lacks it)."""
    view = {"user_id": user.get("user_id", user_id), **user}
    view["payment_methods"] = {k: _payment_method_view(m) for k, m in user["payment_methods"].items()}
    return view


RESERVATION_FIELDS = ("reservation_id", "user_id", "origin", "destination", "flight_type", "cabin", "flights",
                      "passengers", "payment_history", "created_at", "total_baggages", "nonfree_baggages",
                      "insurance")


def _tau2_next_day(day: str) -> str:
    """τ²-bench's "next day" for a one-stop connection: the day number plus one, in May 2024."""
    try:
        return f"2024-05-{int(day[-2:]) + 1}"
    except ValueError:
        raise ToolError(f"invalid literal for int() with base 10: {day[-2:]!r}") from None


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
                continue  # τ²-bench compares the times as text
            results.append({
                "flight_number": flight["flight_number"],
                "origin": flight["origin"],
                "destination": flight["destination"],
                "status": "available",
                "scheduled_departure_time_est": flight["scheduled_departure_time_est"],
                "scheduled_arrival_time_est": flight["scheduled_arrival_time_est"],
                "date": None,  # τ²-bench fills it in for one-stop results only
                "available_seats": dict(instance["available_seats"]),
                "prices": dict(instance["prices"]),
            })
        return results

    # -- ids -----------------------------------------------------------------------------------
    def _new_reservation_id(self) -> str:
        for candidate in NEW_RESERVATION_IDS:
            if candidate not in self.data["reservations"]:
                return candidate
        raise ToolError("Too many reservations")

    @staticmethod
    def _new_certificate_id(user: dict[str, Any]) -> str:
        for number in NEW_CERTIFICATE_NUMBERS:
            if f"certificate_{number}" not in user["payment_methods"]:
                return f"certificate_{number}"
        raise ToolError("Too many certificates")

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
            method["amount"] = method["amount"] - amount
        if amount == 0:
            return None
        return {"payment_id": payment_id, "amount": amount}

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
        reservation_id = self._new_reservation_id()
        n = len(passengers)
        segments, instances, total_price = [], [], 0
        for info in flights:
            flight = self._flight(info.flight_number)
            instance = self._bookable(info.flight_number, info.date, cabin, n)
            price = instance["prices"][cabin]
            segments.append({"flight_number": info.flight_number, "origin": flight["origin"],
                             "destination": flight["destination"], "date": info.date, "price": price})
            instances.append(instance)
            total_price += price * n
        if insurance == "yes":
            total_price += INSURANCE_PRICE_PER_PASSENGER * n
        total_price += BAG_PRICE * nonfree_baggages

        # Check every payment before changing anything (each one alone, as τ²-bench does).
        for payment in payment_methods:
            if payment.payment_id not in user["payment_methods"]:
                raise ToolError(f"Payment method {payment.payment_id} not found")
            method = user["payment_methods"][payment.payment_id]
            if method["source"] in ("gift_card", "certificate") and method["amount"] < payment.amount:
                raise ToolError(f"Not enough balance in payment method {payment.payment_id}")
        paid = sum(p.amount for p in payment_methods)
        if paid != total_price:
            raise ToolError(f"Payment amount does not add up, total price is {total_price}, but paid {paid}")

        for payment in payment_methods:
            method = user["payment_methods"].get(payment.payment_id)
            if method is None:  # a certificate listed twice was already used up
                raise ToolError(f"'{payment.payment_id}'")
            if method["source"] == "gift_card":
                method["amount"] = method["amount"] - payment.amount
            elif method["source"] == "certificate":  # a certificate is used once; any rest is lost
                del user["payment_methods"][payment.payment_id]
        for instance in instances:
            instance["available_seats"][cabin] -= n

        reservation = {
            "reservation_id": reservation_id,
            "user_id": user_id,
            "origin": origin,
            "destination": destination,
            "flight_type": flight_type,
            "cabin": cabin,
            "flights": segments,
            "passengers": [p.model_dump() for p in passengers],
            "payment_history": [{"payment_id": p.payment_id, "amount": p.amount} for p in payment_methods],
            "created_at": CURRENT_TIME,
            "total_baggages": total_baggages,
            "nonfree_baggages": nonfree_baggages,
            "insurance": insurance,
        }
        self.data["reservations"][reservation_id] = reservation
        user["reservations"].append(reservation_id)
        return reservation_view(reservation)

    @tool(ToolKind.WRITE)
    def cancel_reservation(self, reservation_id: str) -> dict[str, Any]:
        """Cancel the whole reservation; every payment is refunded to its original method.

        Args:
            reservation_id: The reservation id, such as 'ZFA04Y'.
        """
        reservation = self._reservation(reservation_id)
        refunds = [{"payment_id": p["payment_id"], "amount": -p["amount"]} for p in reservation["payment_history"]]
        reservation["payment_history"].extend(refunds)
        reservation["status"] = "cancelled"
        return reservation_view(reservation)

    @tool(ToolKind.READ)
    def get_reservation_details(self, reservation_id: str) -> dict[str, Any]:
        """Get the details of a reservation.

        Args:
            reservation_id: The reservation id, such as '8JX2WO'.
        """
        return reservation_view(self._reservation(reservation_id))

    @tool(ToolKind.READ)
    def get_user_details(self, user_id: str) -> dict[str, Any]:
        """Get the details of a user, including their payment methods and reservation ids.

        Args:
            user_id: The user id, such as 'sara_doe_496'.
        """
        return user_view(user_id, self._user(user_id))

    @tool(ToolKind.READ)
    def list_all_airports(self) -> list[dict[str, str]]:
        """List every airport the airline flies to, with its IATA code and city."""
        served = {f["origin"] for f in self.data["flights"].values()} | {f["destination"] for f in self.data["flights"].values()}
        known = [{"iata": code, "city": city} for code, city in TAU2_AIRPORTS if code in served]  # τ²-bench's list
        rest = sorted(served - {code for code, _ in TAU2_AIRPORTS})
        return known + [{"iata": code, "city": AIRPORT_CITIES.get(code, code)} for code in rest]

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
            first["date"] = date
            arrival = first["scheduled_arrival_time_est"]
            second_day = _tau2_next_day(date) if "+1" in arrival else date
            for second in self._search(second_day, first["destination"], destination, leave_after=arrival):
                second["date"] = second_day
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
        certificate_id = self._new_certificate_id(user)
        user["payment_methods"][certificate_id] = {"source": "certificate", "id": certificate_id, "amount": amount}
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
        reservation = self._reservation(reservation_id)
        user = self._user(reservation["user_id"])
        price = BAG_PRICE * max(0, nonfree_baggages - reservation["nonfree_baggages"])
        payment = self._charge_for_update(user, payment_id, price)
        if payment is not None:
            reservation["payment_history"].append(payment)
        reservation["total_baggages"] = total_baggages
        reservation["nonfree_baggages"] = nonfree_baggages
        return reservation_view(reservation)

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
        reservation = self._reservation(reservation_id)
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
            new_segments.append({"flight_number": info.flight_number, "origin": flight["origin"],
                                 "destination": flight["destination"], "date": info.date, "price": price})
            total_price += price * n
        total_price -= sum(s["price"] for s in reservation["flights"]) * n
        payment = self._charge_for_update(user, payment_id, total_price)
        if payment is not None:
            reservation["payment_history"].append(payment)
        reservation["flights"] = new_segments
        reservation["cabin"] = cabin
        return reservation_view(reservation)

    @tool(ToolKind.WRITE)
    def update_reservation_passengers(self, reservation_id: str, passengers: list[Passenger]) -> dict[str, Any]:
        """Update the passengers of a reservation; the number of passengers cannot change.

        Args:
            reservation_id: The reservation id, such as 'ZFA04Y'.
            passengers: Every passenger after the change, each with 'first_name', 'last_name' and 'dob'.
        """
        reservation = self._reservation(reservation_id)
        if len(passengers) != len(reservation["passengers"]):
            raise ToolError("Number of passengers does not match")
        reservation["passengers"] = [p.model_dump() for p in passengers]
        return reservation_view(reservation)

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
