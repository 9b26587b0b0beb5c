"""Seeded building of the airline DB: airports and flights, users, reservations.

Everything comes from one `random.Random`, and every loop runs over lists or sorted keys, so one
seed always gives byte-identical data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from typing import Any

from .airports import AIRPORT_CITIES
from .policy import FREE_BAGS
from .tools import BAG_PRICE, CABINS, CURRENT_TIME, INSURANCE_PRICE_PER_PASSENGER

NOW = datetime.fromisoformat(CURRENT_TIME)
TODAY = CURRENT_TIME[:10]
FIRST_DAY, LAST_DAY = Date(2024, 5, 1), Date(2024, 5, 30)
DAYS = [(FIRST_DAY + timedelta(days=i)).isoformat() for i in range((LAST_DAY - FIRST_DAY).days + 1)]
FUTURE_DAYS = [d for d in DAYS if d > TODAY]
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"

PRICE_RANGES = {"basic_economy": (50, 100), "economy": (100, 200), "business": (200, 500)}

FIRST_NAMES = ["Amara", "Bruno", "Camila", "Dmitri", "Esther", "Farid", "Greta", "Hiro", "Ines", "Jonas",
               "Kalani", "Leila", "Mateo", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
               "Umar", "Vera", "Wanjiru", "Xavier", "Yara", "Zeke", "Alma", "Bao", "Cyrus", "Delia",
               "Emeka", "Freya", "Gideon", "Hana", "Ibrahim", "June", "Kai", "Lucia", "Milo", "Noor"]
LAST_NAMES = ["Abara", "Bergstrom", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gallo", "Hoang", "Ivanova",
              "Jovanovic", "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Oduya", "Petrov", "Quispe",
              "Rahman", "Santos", "Toivonen", "Udeh", "Varga", "Whitlock", "Xu", "Yilmaz", "Zamora"]
STREETS = ["Cedar Street", "Harbor Road", "Maple Avenue", "Orchard Lane", "Summit Drive", "Willow Court",
           "Lakeview Terrace", "Mill Road", "Pine Ridge", "Juniper Way"]
CITIES = [("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Columbus", "OH", "432"), ("Tucson", "AZ", "857"),
          ("Raleigh", "NC", "276"), ("Portland", "OR", "972"), ("Madison", "WI", "537"), ("Boise", "ID", "837"),
          ("Albany", "NY", "122"), ("Savannah", "GA", "314")]
CARD_BRANDS = ["visa", "mastercard", "amex"]


@dataclass
class World:
    """The DB being built, plus indexes the task templates use."""

    rng: random.Random
    flights: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    reservations: dict[str, Any] = field(default_factory=dict)
    by_route: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    airports: list[str] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)

    def db(self) -> dict[str, Any]:
        return {"flights": self.flights, "users": self.users, "reservations": self.reservations}

    # -- ids ---------------------------------------------------------------------------------
    def unique_digits_id(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}_{self.rng.randint(1_000_000, 9_999_999)}"
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def new_reservation_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        while True:
            candidate = "".join(self.rng.choice(alphabet) for _ in range(6))
            if candidate not in self.reservations and candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    # -- flights -----------------------------------------------------------------------------
    def instance(self, flight_number: str, day: str) -> dict[str, Any] | None:
        return self.flights[flight_number]["dates"].get(day)

    def bookable(self, flight_number: str, day: str, cabin: str, n_passengers: int) -> bool:
        inst = self.instance(flight_number, day)
        return inst is not None and inst["status"] == "available" and inst["available_seats"][cabin] >= n_passengers

    def direct_options(self, origin: str, destination: str, day: str, cabin: str, n: int) -> list[list[tuple[str, str]]]:
        """Bookable direct itineraries, each a list of (flight_number, day)."""
        return [[(fn, day)] for fn in self.by_route.get((origin, destination), []) if self.bookable(fn, day, cabin, n)]

    def onestop_options(self, origin: str, destination: str, day: str, cabin: str, n: int,
                        bookable_only: bool = True) -> list[list[tuple[str, str]]]:
        """One-stop itineraries as search_onestop_flight finds them (second leg after the first lands)."""
        options = []
        for (o, mid), firsts in sorted(self.by_route.items()):
            if o != origin or mid == destination:
                continue
            for first in firsts:
                if bookable_only and not self.bookable(first, day, cabin, n):
                    continue
                arrival = self.flights[first]["scheduled_arrival_time_est"]
                day2 = (Date.fromisoformat(day) + timedelta(days=1)).isoformat() if "+1" in arrival else day
                if day2 not in DAYS:
                    continue
                for second in self.by_route.get((mid, destination), []):
                    if self.flights[second]["scheduled_departure_time_est"] < arrival.split("+")[0]:
                        continue
                    if bookable_only and not self.bookable(second, day2, cabin, n):
                        continue
                    options.append([(first, day), (second, day2)])
        return options

    def price(self, flight_number: str, day: str, cabin: str) -> int:
        """Today's price when the flight is on sale, else a plausible price paid earlier."""
        inst = self.instance(flight_number, day)
        if inst is not None and inst["status"] == "available":
            return inst["prices"][cabin]
        return self.rng.randint(*PRICE_RANGES[cabin])

    # -- people ------------------------------------------------------------------------------
    def person(self) -> dict[str, str]:
        return {"first_name": self.rng.choice(FIRST_NAMES), "last_name": self.rng.choice(LAST_NAMES),
                "dob": random_dob(self.rng)}

    def payment_ids(self, user: dict[str, Any], source: str) -> list[str]:
        return [k for k, m in user["payment_methods"].items() if m["source"] == source]

    # -- reservations ------------------------------------------------------------------------
    def add_reservation(
        self,
        user_id: str,
        segments: list[tuple[str, str]],
        *,
        cabin: str,
        passengers: list[dict[str, str]],
        flight_type: str,
        destination: str,
        insurance: str,
        total_baggages: int,
        created_at: str,
        payment_id: str | None = None,
        prices: list[int] | None = None,
    ) -> dict[str, Any]:
        """Add a reservation paid in full by one credit or gift card of the user; returns it."""
        user = self.users[user_id]
        n = len(passengers)
        prices = prices or [self.price(fn, day, cabin) for fn, day in segments]
        flights = [{"origin": self.flights[fn]["origin"], "destination": self.flights[fn]["destination"],
                    "flight_number": fn, "date": day, "price": price} for (fn, day), price in zip(segments, prices)]
        free = FREE_BAGS[user["membership"]][cabin] * n
        nonfree = max(0, total_baggages - free)
        total = sum(prices) * n + (INSURANCE_PRICE_PER_PASSENGER * n if insurance == "yes" else 0) + BAG_PRICE * nonfree
        if payment_id is None:
            payment_id = self.rng.choice(self.payment_ids(user, "credit_card") + self.payment_ids(user, "gift_card"))
        rid = self.new_reservation_id()
        reservation = {
            "reservation_id": rid,
            "user_id": user_id,
            "origin": flights[0]["origin"],
            "destination": destination,
            "flight_type": flight_type,
            "cabin": cabin,
            "flights": flights,
            "passengers": passengers,
            "payment_history": [{"payment_id": payment_id, "amount": total}],
            "created_at": created_at,
            "total_baggages": total_baggages,
            "nonfree_baggages": nonfree,
            "insurance": insurance,
        }
        self.reservations[rid] = reservation
        user["reservations"].append(rid)
        return reservation


def random_dob(rng: random.Random) -> str:
    return (Date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))).isoformat()


def random_time_between(rng: random.Random, start: datetime, end: datetime) -> str:
    seconds = max(1, int((end - start).total_seconds()))
    return (start + timedelta(seconds=rng.randint(0, seconds - 1))).strftime(TIME_FORMAT)


def _hhmm(minutes: int) -> str:
    suffix = "+1" if minutes >= 24 * 60 else ""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00{suffix}"


def _date_status(rng: random.Random, day: str, dep_min: int, duration: int) -> dict[str, Any]:
    """The status of one flight on one day, consistent with the fixed current time."""
    departure = datetime.fromisoformat(day) + timedelta(minutes=dep_min)
    arrival = departure + timedelta(minutes=duration)
    if day > TODAY:
        if rng.random() < 0.02:
            return {"status": "cancelled"}
        return {
            "status": "available",
            "available_seats": {c: rng.randint(0, 20) for c in CABINS},
            "prices": {c: rng.randint(*PRICE_RANGES[c]) for c in CABINS},
        }
    if day < TODAY or arrival + timedelta(minutes=30) < NOW:
        if rng.random() < 0.05:
            return {"status": "cancelled"}
        actual_dep = departure + timedelta(minutes=rng.randint(-10, 40))
        actual_arr = actual_dep + timedelta(minutes=duration + rng.randint(-15, 15))
        return {"status": "landed", "actual_departure_time_est": actual_dep.strftime(TIME_FORMAT),
                "actual_arrival_time_est": actual_arr.strftime(TIME_FORMAT)}
    if departure <= NOW:
        actual_dep = departure + timedelta(minutes=rng.randint(0, 20))
        return {"status": "flying", "actual_departure_time_est": actual_dep.strftime(TIME_FORMAT),
                "estimated_arrival_time_est": (actual_dep + timedelta(minutes=duration)).strftime(TIME_FORMAT)}
    roll = rng.random()
    if roll < 0.15:
        return {"status": "cancelled"}
    if roll < 0.5:
        delay = timedelta(minutes=rng.randint(60, 300))
        return {"status": "delayed", "estimated_departure_time_est": (departure + delay).strftime(TIME_FORMAT),
                "estimated_arrival_time_est": (arrival + delay).strftime(TIME_FORMAT)}
    return {"status": "on time", "estimated_departure_time_est": departure.strftime(TIME_FORMAT),
            "estimated_arrival_time_est": arrival.strftime(TIME_FORMAT)}


def build_flights(world: World, n_airports: int = 14, n_routes: int = 40) -> None:
    """Airports joined by routes (both directions), one or two flights per direction."""
    rng = world.rng
    world.airports = sorted(rng.sample(sorted(AIRPORT_CITIES), n_airports))
    pairs = [(a, b) for i, a in enumerate(world.airports) for b in world.airports[i + 1:]]
    # A ring first, so every airport is reachable, then random extra routes.
    ring = [(world.airports[i], world.airports[(i + 1) % n_airports]) for i in range(n_airports)]
    chosen = [tuple(sorted(p)) for p in ring]
    rest = [p for p in pairs if p not in chosen]
    chosen += rng.sample(rest, n_routes - len(chosen))
    directed = []
    for a, b in chosen:
        directed += [(a, b), (b, a)]
    rng.shuffle(directed)
    number = 1
    for origin, destination in directed:
        duration = rng.randint(2, 11) * 30
        for _ in range(1 if rng.random() < 0.8 else 2):
            dep_min = rng.randint(10, 46) * 30  # 05:00 .. 23:00
            flight_number = f"HAT{number:03d}"
            number += 1
            world.flights[flight_number] = {
                "flight_number": flight_number,
                "origin": origin,
                "destination": destination,
                "scheduled_departure_time_est": _hhmm(dep_min),
                "scheduled_arrival_time_est": _hhmm(dep_min + duration),
                "dates": {day: _date_status(rng, day, dep_min, duration) for day in DAYS},
            }
            world.by_route.setdefault((origin, destination), []).append(flight_number)


def build_users(world: World, n_users: int) -> None:
    rng = world.rng
    while len(world.users) < n_users:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user_id = f"{first.lower()}_{last.lower()}_{rng.randint(1000, 9999)}"
        if user_id in world.users:
            continue
        city, state, zip_prefix = rng.choice(CITIES)
        methods: dict[str, Any] = {}
        for _ in range(rng.choice([1, 1, 2])):
            cid = world.unique_digits_id("credit_card")
            methods[cid] = {"source": "credit_card", "brand": rng.choice(CARD_BRANDS),
                            "last_four": f"{rng.randint(0, 9999):04d}", "id": cid}
        for _ in range(rng.choice([0, 1, 1, 2])):
            gid = world.unique_digits_id("gift_card")
            methods[gid] = {"source": "gift_card", "amount": rng.randint(20, 400), "id": gid}
        for _ in range(rng.choice([0, 0, 1, 2])):
            cert = world.unique_digits_id("certificate")
            methods[cert] = {"source": "certificate", "amount": rng.choice([100, 150, 200, 250, 300, 500]), "id": cert}
        world.users[user_id] = {
            "user_id": user_id,
            "name": {"first_name": first, "last_name": last},
            "address": {"address1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                        "address2": rng.choice([None, f"Apt {rng.randint(1, 40)}"]),
                        "city": city, "country": "USA", "state": state,
                        "zip": f"{zip_prefix}{rng.randint(0, 99):02d}"},
            "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.com",
            "dob": random_dob(rng),
            "payment_methods": methods,
            "saved_passengers": [world.person() for _ in range(rng.choice([0, 1, 1, 2]))],
            "membership": rng.choice(["regular", "silver", "gold"]),
            "reservations": [],
        }


def self_passenger(user: dict[str, Any]) -> dict[str, str]:
    return {"first_name": user["name"]["first_name"], "last_name": user["name"]["last_name"], "dob": user["dob"]}


def party(world: World, user: dict[str, Any], size: int, include_self: bool = True) -> list[dict[str, str]]:
    """`size` passengers: the user first (if included), then saved passengers, then new people."""
    passengers = [self_passenger(user)] if include_self else []
    saved = [dict(p) for p in user["saved_passengers"]]
    while len(passengers) < size:
        passengers.append(saved.pop(0) if saved and world.rng.random() < 0.7 else world.person())
    return passengers


def random_itinerary(world: World, origin: str, destination: str, day: str) -> list[tuple[str, str]] | None:
    """Any direct or one-stop itinerary on `day` (on sale or not), for reservations made earlier."""
    rng = world.rng
    direct = world.by_route.get((origin, destination), [])
    if direct:
        return [(rng.choice(direct), day)]
    options = world.onestop_options(origin, destination, day, "economy", 1, bookable_only=False)
    return rng.choice(options) if options else None


def build_background_reservations(world: World, per_user: tuple[int, ...] = (1, 2, 2, 3, 3, 4)) -> None:
    """Past, current and future reservations, some cancelled, so the DB looks lived in."""
    rng = world.rng
    for user_id in sorted(world.users):
        user = world.users[user_id]
        for _ in range(rng.choice(per_user)):
            for _attempt in range(20):
                origin, destination = rng.sample(world.airports, 2)
                out_day = rng.choice(DAYS[:-3])
                outbound = random_itinerary(world, origin, destination, out_day)
                if outbound is None:
                    continue
                segments, flight_type = list(outbound), "one_way"
                if rng.random() < 0.5:
                    back_day = (Date.fromisoformat(outbound[-1][1]) + timedelta(days=rng.randint(1, 4))).isoformat()
                    back = random_itinerary(world, destination, origin, back_day) if back_day in DAYS else None
                    if back is None or back[-1][1] not in DAYS:
                        continue
                    segments, flight_type = segments + back, "round_trip"
                if segments[-1][1] not in DAYS:
                    continue
                first_departure = datetime.fromisoformat(segments[0][1])
                latest = min(first_departure, NOW)
                created_at = random_time_between(rng, latest - timedelta(days=rng.randint(2, 40)), latest)
                passengers = party(world, user, rng.choice([1, 1, 2, 3]), include_self=rng.random() < 0.8)
                reservation = world.add_reservation(
                    user_id, segments, cabin=rng.choice(CABINS), passengers=passengers, flight_type=flight_type,
                    destination=destination, insurance=rng.choice(["yes", "no", "no"]),
                    total_baggages=rng.randint(0, 2 * len(passengers)), created_at=created_at)
                if rng.random() < 0.05:
                    reservation["payment_history"] += [{"payment_id": p["payment_id"], "amount": -p["amount"]}
                                                       for p in list(reservation["payment_history"])]
                    reservation["status"] = "cancelled"
                break
