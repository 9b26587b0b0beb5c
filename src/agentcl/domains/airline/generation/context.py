"""What the airline task families share: the World they plant data in, and small builders.

A family picks (or plants) the users, reservations and flights it needs, then COMPUTES its gold
actions and the numbers the agent must say from that data with the same rules the policy states
(policy.py) and the tools apply (tools.py). Every task starts from the same DB, so families never
depend on each other's writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import date as Date
from typing import Any, Callable

from ..airports import AIRPORT_CITIES
from ..policy import FREE_BAGS
from ..tools import BAG_PRICE
from ..world import FUTURE_DAYS, NOW, World, party, random_time_between

PERSONAS = [
    "Polite and precise; answers questions briefly and exactly.",
    "Friendly and talkative, but cooperative once the agent asks for something specific.",
    "In a hurry and a bit impatient; wants the matter settled quickly.",
    "Cautious; double-checks amounts before agreeing to anything.",
    "Frustrated about the situation, but stays civil.",
]
CABIN_TEXT = {"basic_economy": "basic economy", "economy": "economy", "business": "business"}
MAX_ATTEMPTS = 3000


class TemplateError(RuntimeError):
    """A template found no data that fits it (should not happen with the default world sizes)."""


def day_text(day: str) -> str:
    d = Date.fromisoformat(day)
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def airport_text(code: str) -> str:
    return f"{AIRPORT_CITIES.get(code, code)} ({code})"


def person_text(p: dict[str, str]) -> str:
    return f"{p['first_name']} {p['last_name']} (date of birth {p['dob']})"


def first_departure(world: World, segment: tuple[str, str]) -> str:
    return world.flights[segment[0]]["scheduled_departure_time_est"]


@dataclass
class TaskMaker:
    """The world being built and the task generator's own random stream."""

    world: World
    rng: random.Random

    # -- small builders ----------------------------------------------------------------------
    @staticmethod
    def action(name: str, compare_args: list[str] | None = None, **arguments: Any) -> dict:
        """A gold action; `add` numbers the action ids in order."""
        act: dict[str, Any] = {"name": name, "arguments": arguments}
        if compare_args is not None:
            act["compare_args"] = compare_args
        return act

    def task(self, task_id: str, purpose: str, notes: str, *, reason: str, known: str, unknown: str | None,
             instructions: str, actions: list[dict], basis: list[str], info: list[str] | None = None,
             nl: list[str] | None = None) -> dict[str, Any]:
        """A τ²-format task; `actions` get ids '<task id>_<index>' in order."""
        actions = [{"action_id": f"{task_id}_{k}", **a} for k, a in enumerate(actions)]
        return {
            "id": task_id,
            "description": {"purpose": purpose, "relevant_policies": None, "notes": notes},
            "user_scenario": {
                "persona": self.rng.choice(PERSONAS),
                "instructions": {
                    "domain": "airline",
                    "reason_for_call": reason,
                    "known_info": known,
                    "unknown_info": unknown,
                    "task_instructions": instructions,
                },
            },
            "initial_state": None,
            "evaluation_criteria": {
                "actions": actions,
                "communicate_info": info or [],
                "nl_assertions": nl or [],
                "reward_basis": basis,
            },
        }

    def pick_user(self, accept: Callable[[dict[str, Any]], bool] = lambda u: True) -> str:
        candidates = [uid for uid in sorted(self.world.users) if accept(self.world.users[uid])]
        if not candidates:
            raise TemplateError("no user fits the template")
        return self.rng.choice(candidates)

    def user_known(self, uid: str, rid: str | None = None) -> str:
        name = self.world.users[uid]["name"]
        text = f"You are {name['first_name']} {name['last_name']}. Your user id is {uid}."
        return text + (f" Your reservation id is {rid}." if rid else "")

    def payment_text(self, uid: str, payment_id: str) -> str:
        method = self.world.users[uid]["payment_methods"][payment_id]
        if method["source"] == "credit_card":
            return f"your {method['brand']} credit card ending in {method['last_four']}"
        kind = "gift card" if method["source"] == "gift_card" else "travel certificate"
        return f"your {kind} {payment_id}"

    def update_payment(self, uid: str, amount: int) -> str:
        """A gift card that covers `amount` (half of the time, when there is one) or a credit card."""
        user = self.world.users[uid]
        gift = [g for g in self.world.payment_ids(user, "gift_card") if user["payment_methods"][g]["amount"] >= amount]
        if gift and self.rng.random() < 0.5:
            return self.rng.choice(gift)
        return self.rng.choice(self.world.payment_ids(user, "credit_card"))

    def created_long_ago(self, first_day: str) -> str:
        end = min(datetime.fromisoformat(first_day), NOW - timedelta(hours=30))
        return random_time_between(self.rng, end - timedelta(days=self.rng.randint(3, 30)), end)

    def created_recently(self) -> str:
        return random_time_between(self.rng, NOW - timedelta(hours=22), NOW - timedelta(minutes=20))

    # -- flight pickers ----------------------------------------------------------------------
    def bookable_direct(self, cabins: tuple[str, ...], n: int, days: list[str]) -> tuple[tuple[str, str], str]:
        routes = sorted(self.world.by_route)
        for _ in range(MAX_ATTEMPTS):
            fn = self.rng.choice(self.world.by_route[self.rng.choice(routes)])
            day, cabin = self.rng.choice(days), self.rng.choice(cabins)
            if self.world.bookable(fn, day, cabin, n):
                return (fn, day), cabin
        raise TemplateError("no bookable direct flight")

    def future_trip(self, cabins: tuple[str, ...], n: int, round_trip: bool,
                    also_bookable_in: str | None = None) -> tuple[list[tuple[str, str]], str, str]:
        """(segments, cabin, destination) of a future direct one-way or round trip, all on sale."""
        for _ in range(MAX_ATTEMPTS):
            (fn, day), cabin = self.bookable_direct(cabins, n, FUTURE_DAYS[1:-5])
            origin, destination = self.world.flights[fn]["origin"], self.world.flights[fn]["destination"]
            segments = [(fn, day)]
            if round_trip:
                back_day = (Date.fromisoformat(day) + timedelta(days=self.rng.randint(2, 4))).isoformat()
                back = [b for b in self.world.by_route.get((destination, origin), [])
                        if self.world.bookable(b, back_day, cabin, n)]
                if not back:
                    continue
                segments.append((self.rng.choice(back), back_day))
            if also_bookable_in and not all(self.world.bookable(f, d, also_bookable_in, n) for f, d in segments):
                continue
            return segments, cabin, destination
        raise TemplateError("no future trip")

    def flight_day_with_status(self, statuses: tuple[str, ...], days: list[str]) -> tuple[str, str]:
        """A random (flight_number, day) whose status on that day is one of `statuses`."""
        found = [(fn, day) for fn in sorted(self.world.flights) for day in days
                 if self.world.flights[fn]["dates"].get(day, {}).get("status") in statuses]
        if not found:
            raise TemplateError(f"no flight with status {statuses} on {days[0]}..{days[-1]}")
        return self.rng.choice(found)

    def plant(self, uid: str, segments: list[tuple[str, str]], cabin: str, n: int, *, destination: str,
              insurance: str = "no", created_at: str | None = None, bags: int | None = None) -> dict[str, Any]:
        user = self.world.users[uid]
        flight_type = "round_trip" if len(segments) == 2 and \
            self.world.flights[segments[1][0]]["destination"] == self.world.flights[segments[0][0]]["origin"] \
            else "one_way"
        return self.world.add_reservation(
            uid, segments, cabin=cabin, passengers=party(self.world, user, n), flight_type=flight_type,
            destination=destination, insurance=insurance,
            total_baggages=self.rng.randint(0, n) if bags is None else bags,
            created_at=created_at or self.created_long_ago(segments[0][1]),
            payment_id=self.rng.choice(self.world.payment_ids(user, "credit_card")))

    def trip_text(self, reservation: dict[str, Any]) -> str:
        kind = "round trip" if reservation["flight_type"] == "round_trip" else "one-way trip"
        return (f"your {kind} from {airport_text(reservation['origin'])} to "
                f"{airport_text(reservation['destination'])} on {day_text(reservation['flights'][0]['date'])}")

    def bag_change(self, uid: str, res: dict[str, Any], extra: int) -> tuple[int, int, int]:
        """(new total, new non-free, cost) after adding `extra` bags under the allowance table."""
        free = FREE_BAGS[self.world.users[uid]["membership"]][res["cabin"]] * len(res["passengers"])
        total = res["total_baggages"] + extra
        nonfree = max(0, total - free)
        return total, nonfree, BAG_PRICE * (nonfree - res["nonfree_baggages"])

