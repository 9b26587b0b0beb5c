"""Pydantic models of the airline DB, used only to VALIDATE a loaded DB with clear errors.

The tools work on the plain dict (`Toolkit.data`); `validate_airline_db` checks that such a dict
has the shape they expect and that its cross references hold, and raises DataError naming the
first bad field by its path (e.g. `reservations.ABC123.flights.0.price`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import DataError

Cabin = Literal["basic_economy", "economy", "business"]
Number = Union[int, float]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CabinNumbers(_Model):
    basic_economy: Number
    economy: Number
    business: Number


class Available(_Model):
    status: Literal["available"]
    available_seats: CabinNumbers
    prices: CabinNumbers


class OnTime(_Model):
    status: Literal["on time"]
    estimated_departure_time_est: str
    estimated_arrival_time_est: str


class Delayed(_Model):
    status: Literal["delayed"]
    estimated_departure_time_est: str
    estimated_arrival_time_est: str


class Flying(_Model):
    status: Literal["flying"]
    actual_departure_time_est: str
    estimated_arrival_time_est: str


class Landed(_Model):
    status: Literal["landed"]
    actual_departure_time_est: str
    actual_arrival_time_est: str


class Cancelled(_Model):
    status: Literal["cancelled"]


FlightDate = Annotated[Union[Available, OnTime, Delayed, Flying, Landed, Cancelled], Field(discriminator="status")]


class Flight(_Model):
    flight_number: str
    origin: str
    destination: str
    scheduled_departure_time_est: str = Field(pattern=r"^\d\d:\d\d:\d\d$")
    scheduled_arrival_time_est: str = Field(pattern=r"^\d\d:\d\d:\d\d(\+1)?$")
    dates: dict[str, FlightDate]


class Name(_Model):
    first_name: str
    last_name: str


class Address(_Model):
    address1: str
    address2: str | None = None
    city: str
    country: str
    state: str
    zip: str


class CreditCard(_Model):
    source: Literal["credit_card"]
    brand: str
    last_four: str
    id: str


class GiftCard(_Model):
    source: Literal["gift_card"]
    amount: Number
    id: str


class Certificate(_Model):
    source: Literal["certificate"]
    amount: Number
    id: str


PaymentMethod = Annotated[Union[CreditCard, GiftCard, Certificate], Field(discriminator="source")]


class Passenger(_Model):
    first_name: str
    last_name: str
    dob: str


class User(_Model):
    user_id: str | None = None
    name: Name
    address: Address
    email: str
    dob: str
    payment_methods: dict[str, PaymentMethod]
    saved_passengers: list[Passenger]
    membership: Literal["regular", "silver", "gold"]
    reservations: list[str]


class ReservationFlight(_Model):
    origin: str
    destination: str
    flight_number: str
    date: str
    price: Number


class Payment(_Model):
    payment_id: str
    amount: Number


class Reservation(_Model):
    reservation_id: str
    user_id: str
    origin: str
    destination: str
    flight_type: Literal["one_way", "round_trip"]
    cabin: Cabin
    flights: list[ReservationFlight]
    passengers: list[Passenger]
    payment_history: list[Payment]
    created_at: str
    total_baggages: int
    nonfree_baggages: int
    insurance: Literal["yes", "no"]
    status: Literal["cancelled"] | None = None


class AirlineDB(_Model):
    flights: dict[str, Flight]
    users: dict[str, User]
    reservations: dict[str, Reservation]


def _cross_reference_problems(db: AirlineDB) -> list[tuple[str, str]]:
    """(path, message) for references that do not resolve."""
    problems = []
    for number, flight in db.flights.items():
        if flight.flight_number != number:
            problems.append((f"flights.{number}.flight_number", f"is {flight.flight_number!r}, key is {number!r}"))
    for user_id, user in db.users.items():
        if user.user_id is not None and user.user_id != user_id:  # τ²-bench's data carries it; ours too
            problems.append((f"users.{user_id}.user_id", f"is {user.user_id!r}, key is {user_id!r}"))
        for key, method in user.payment_methods.items():
            if method.id != key:
                problems.append((f"users.{user_id}.payment_methods.{key}.id", f"is {method.id!r}, key is {key!r}"))
        for i, rid in enumerate(user.reservations):
            if rid not in db.reservations:
                problems.append((f"users.{user_id}.reservations.{i}", f"unknown reservation {rid!r}"))
    for rid, res in db.reservations.items():
        if res.reservation_id != rid:
            problems.append((f"reservations.{rid}.reservation_id", f"is {res.reservation_id!r}, key is {rid!r}"))
        if res.user_id not in db.users:
            problems.append((f"reservations.{rid}.user_id", f"unknown user {res.user_id!r}"))
        for i, segment in enumerate(res.flights):
            if segment.flight_number not in db.flights:
                problems.append((f"reservations.{rid}.flights.{i}.flight_number",
                                 f"unknown flight {segment.flight_number!r}"))
    return problems


def validate_airline_db(data: Any, path: str | Path | None = None) -> AirlineDB:
    """Validate an airline DB dict; raise DataError naming the first bad field."""
    try:
        db = AirlineDB.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataError(f"invalid airline DB at {where}: {first['msg']}", path=path) from None
    problems = _cross_reference_problems(db)
    if problems:
        where, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(f"invalid airline DB at {where}: {message}{more}", path=path)
    return db
