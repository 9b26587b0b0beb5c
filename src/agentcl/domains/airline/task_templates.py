"""Task templates of the airline generator: each builds one τ²-format task from the World.

A template picks (or plants) the users, reservations and flights it needs, then COMPUTES its gold
actions and the numbers the agent must say from that data with the same rules the policy states
(policy.py) and the tools apply (tools.py). generate.py replays every gold action to prove it.
Every task starts from the same shipped DB, so templates never depend on each other's writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from typing import Any, Callable

from .airports import AIRPORT_CITIES
from .policy import CANCELLED_FLIGHT_COMPENSATION, DELAYED_FLIGHT_COMPENSATION, FREE_BAGS
from .tools import BAG_PRICE, CABINS, INSURANCE_PRICE_PER_PASSENGER
from .world import DAYS, FUTURE_DAYS, NOW, TODAY, World, party, random_time_between

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
    world: World
    rng: random.Random
    tasks: list[dict[str, Any]] = field(default_factory=list)

    # -- small builders ----------------------------------------------------------------------
    @staticmethod
    def action(name: str, compare_args: list[str] | None = None, **arguments: Any) -> dict:
        """A gold action; `add` numbers the action ids in order."""
        act: dict[str, Any] = {"name": name, "arguments": arguments}
        if compare_args is not None:
            act["compare_args"] = compare_args
        return act

    def add(self, task_id: str, purpose: str, notes: str, *, reason: str, known: str, unknown: str | None,
            instructions: str, actions: list[dict], basis: list[str], info: list[str] | None = None,
            nl: list[str] | None = None) -> None:
        actions = [{"action_id": f"{task_id}_{k}", **a} for k, a in enumerate(actions)]
        self.tasks.append({
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
        })

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

    # -- templates ---------------------------------------------------------------------------
    def cancel_allowed(self, task_id: str, variant: str) -> None:
        rng = self.rng
        uid = self.pick_user()
        n = rng.randint(1, 3)
        if variant == "airline_cancelled":
            fn, day = self.flight_day_with_status(("cancelled",), DAYS[9:])
            res = self.plant(uid, [(fn, day)], rng.choice(["basic_economy", "economy"]), n,
                             destination=self.world.flights[fn]["destination"])
            reason = (f"The airline cancelled your flight {fn} on {day_text(day)}. You want to cancel the "
                      "reservation and get your money back.")
        else:
            cabins = ("business",) if variant == "business" else ("basic_economy", "economy")
            segments, cabin, destination = self.future_trip(cabins, n, round_trip=rng.random() < 0.4)
            created = self.created_recently() if variant == "within_24h" else None
            res = self.plant(uid, segments, cabin, n, destination=destination,
                             insurance="yes" if variant == "insurance" else "no", created_at=created)
            reason = {
                "within_24h": "You booked this trip a few hours ago and have changed your mind. You want to cancel it.",
                "business": "Your plans changed and you no longer need this trip. You want to cancel it.",
                "insurance": rng.choice([
                    "You have come down with a bad flu and your doctor told you not to travel. You want to cancel.",
                    "A major storm is forecast at your destination and you will not travel. You want to cancel."]),
            }[variant]
        rid = res["reservation_id"]
        # Without the id, the user describes the trip; only when no other reservation fits the description.
        knows_id = rng.random() < 0.7 or any(
            self.trip_text(self.world.reservations[other]) == self.trip_text(res)
            for other in self.world.users[uid]["reservations"] if other != rid)
        refund = sum(p["amount"] for p in res["payment_history"])
        actions = [self.action("get_user_details", user_id=uid)]
        if not knows_id:  # the agent looks through the user's reservations until it finds this one
            for other in self.world.users[uid]["reservations"]:
                actions.append(self.action("get_reservation_details", reservation_id=other))
                if other == rid:
                    break
        else:
            actions.append(self.action("get_reservation_details", reservation_id=rid))
        actions.append(self.action("cancel_reservation", reservation_id=rid))
        self.add(
            task_id, "Cancel a reservation that the policy allows to cancel, and tell the refund.",
            f"cancel allowed: {variant}",
            reason=reason,
            known=self.user_known(uid, rid if knows_id else None)
            + ("" if knows_id else f" The reservation is {self.trip_text(res)}."),
            unknown=None if knows_id else "You do not remember the reservation id.",
            instructions="Give the reason for cancelling when asked. Ask how much money you will get back in "
                         "total. Confirm the cancellation when the agent asks.",
            actions=actions, basis=["DB", "COMMUNICATE"], info=[str(refund)])

    def refuse(self, task_id: str, variant: str) -> None:
        rng = self.rng
        nl: list[str]
        if variant == "compensation_not_eligible":
            uid = self.pick_user(lambda u: u["membership"] == "regular")
            fn, day = self.flight_day_with_status(("cancelled",), DAYS[3:15])
            res = self.plant(uid, [(fn, day)], rng.choice(["basic_economy", "economy"]), rng.randint(1, 2),
                             destination=self.world.flights[fn]["destination"])
            reason = (f"Your flight {fn} on {day_text(day)} was cancelled by the airline and you had to make "
                      "other arrangements. You want compensation for the trouble.")
            instructions = ("Ask for compensation. You do not want to cancel or change the reservation. If the "
                            "agent says you are not eligible, complain once, then accept and end the conversation.")
            nl = ["The agent does not issue a travel certificate or any other compensation."]
            actions = [self.action("get_user_details", user_id=uid)]
        else:
            uid = self.pick_user()
            n = rng.randint(1, 3)
            cabins = ("basic_economy",) if variant == "basic_economy_change" else ("basic_economy", "economy")
            segments, cabin, destination = self.future_trip(cabins, n, round_trip=rng.random() < 0.3)
            res = self.plant(uid, segments, cabin, n, destination=destination,
                             insurance="yes" if variant == "cancel_insurance_wrong_reason" else "no")
            later = (Date.fromisoformat(segments[0][1]) + timedelta(days=rng.randint(1, 2))).isoformat()
            reason, instructions, nl = {
                "cancel_no_grounds": (
                    "Your plans changed and you want to cancel this reservation for a full refund.",
                    "If the agent says it cannot be cancelled, insist once, then accept and end the conversation. "
                    "Do not accept any other change.",
                    ["The agent does not cancel the reservation."]),
                "cancel_insurance_wrong_reason": (
                    "You found a cheaper fare with another airline and want to cancel this reservation.",
                    "Point out that you bought travel insurance. If the agent still refuses, accept and end the "
                    "conversation. Do not accept any other change.",
                    ["The agent does not cancel the reservation."]),
                "basic_economy_change": (
                    f"You want to move your flight of {day_text(segments[0][1])} to {day_text(later)}.",
                    "If the agent says it is not possible, ask once whether there is any way, then accept and end "
                    "the conversation. Do not cancel the reservation.",
                    ["The agent does not change the flights of the reservation."]),
                "add_passenger": (
                    f"A friend, {person_text(self.world.person())}, wants to join you on this trip; you want them "
                    "added to the same reservation.",
                    "If the agent says it is not possible, accept and end the conversation. Do not book a new trip.",
                    ["The agent does not change the number of passengers of the reservation."]),
            }[variant]
            actions = []
        rid = res["reservation_id"]
        actions.append(self.action("get_reservation_details", reservation_id=rid))
        self.add(task_id, "Refuse a request that the policy does not allow; the DB must not change.",
                 f"refuse: {variant}", reason=reason, known=self.user_known(uid, rid), unknown=None,
                 instructions=instructions, actions=actions, basis=["DB"], nl=nl)

    def book(self, task_id: str, variant: str) -> None:
        rng, world = self.rng, self.world
        for _ in range(MAX_ATTEMPTS):
            if variant == "direct_certificate":
                uid = self.pick_user(lambda u: bool(world.payment_ids(u, "certificate")))
            elif variant == "onestop_gift_card":
                uid = self.pick_user(lambda u: bool(world.payment_ids(u, "gift_card")))
            else:
                uid = self.pick_user()
            user = world.users[uid]
            n = rng.choice([1, 1, 2])
            cabin = rng.choice(("basic_economy", "economy") if variant == "onestop_gift_card" else CABINS)
            origin, destination = rng.sample(world.airports, 2)
            day = rng.choice(FUTURE_DAYS[1:-5])
            has_direct = bool(world.by_route.get((origin, destination)))
            if variant == "onestop_gift_card":
                if has_direct:
                    continue
                options = world.onestop_options(origin, destination, day, cabin, n)
            else:
                if not has_direct:
                    continue
                options = world.direct_options(origin, destination, day, cabin, n)
            if not options:
                continue
            segments = list(self._cheapest(options, cabin))
            back_day = None
            if variant == "round_trip_card":
                back_day = (Date.fromisoformat(day) + timedelta(days=rng.randint(2, 4))).isoformat()
                back = world.direct_options(destination, origin, back_day, cabin, n)
                if not back:
                    continue
                segments += self._cheapest(back, cabin)
            bags = rng.randint(0, 2 * n)
            nonfree = max(0, bags - FREE_BAGS[user["membership"]][cabin] * n)
            insurance = rng.choice(["yes", "no"])
            total = (sum(world.instance(f, d)["prices"][cabin] for f, d in segments) * n
                     + (INSURANCE_PRICE_PER_PASSENGER * n if insurance == "yes" else 0) + BAG_PRICE * nonfree)
            card = rng.choice(world.payment_ids(user, "credit_card"))
            if variant == "direct_certificate":
                certs = [c for c in world.payment_ids(user, "certificate") if user["payment_methods"][c]["amount"] < total]
                if not certs:
                    continue
                cert = rng.choice(certs)
                cert_amount = user["payment_methods"][cert]["amount"]
                payments = [{"payment_id": cert, "amount": cert_amount}, {"payment_id": card, "amount": total - cert_amount}]
                pay_text = (f"Use {self.payment_text(uid, cert)} for as much as it covers and pay the rest with "
                            f"{self.payment_text(uid, card)}.")
            elif variant == "onestop_gift_card":
                gifts = [g for g in world.payment_ids(user, "gift_card") if user["payment_methods"][g]["amount"] >= total]
                if not gifts:
                    continue
                payments = [{"payment_id": gifts[0], "amount": total}]
                pay_text = f"Pay everything with {self.payment_text(uid, gifts[0])}."
            else:
                payments = [{"payment_id": card, "amount": total}]
                pay_text = f"Pay with {self.payment_text(uid, card)}."
            break
        else:
            raise TemplateError(f"book/{variant}: nothing fits")
        passengers = party(world, user, n)
        flight_type = "round_trip" if back_day else "one_way"
        trip = (f"a round trip from {airport_text(origin)} to {airport_text(destination)}, leaving on "
                f"{day_text(day)} and coming back on {day_text(back_day)}" if back_day else
                f"a one-way trip from {airport_text(origin)} to {airport_text(destination)} on {day_text(day)}")
        people = "; ".join(person_text(p) for p in passengers)
        actions = [self.action("get_user_details", user_id=uid),
                   self.action("search_direct_flight", origin=origin, destination=destination, date=day)]
        if variant == "onestop_gift_card":
            actions.append(self.action("search_onestop_flight", origin=origin, destination=destination, date=day))
        if back_day:
            actions.append(self.action("search_direct_flight", origin=destination, destination=origin,
                                       date=back_day))
        actions.append(self.action(
            "book_reservation", user_id=uid, origin=origin, destination=destination, flight_type=flight_type,
            cabin=cabin, flights=[{"flight_number": f, "date": d} for f, d in segments],
            passengers=passengers, payment_methods=payments, total_baggages=bags, nonfree_baggages=nonfree,
            insurance=insurance))
        self.add(
            task_id, "Search flights and book the cheapest option that fits, with the payment the user names.",
            f"book: {variant}",
            reason=f"You want to book {trip} in {CABIN_TEXT[cabin]}.",
            known=(f"{self.user_known(uid)} Passengers, in this order: {people}. You want {bags} checked bag"
                   f"{'s' if bags != 1 else ''} in total. You {'want' if insurance == 'yes' else 'do not want'} "
                   f"travel insurance. {pay_text}"),
            unknown="You do not know the flight numbers or the prices.",
            instructions=(f"You want the cheapest {CABIN_TEXT[cabin]} option{' for each direction' if back_day else ''} "
                          "that has enough seats for all passengers; if two cost the same, take the one that leaves "
                          "earlier. "
                          + ("A connection is fine if there is no direct flight. " if variant == "onestop_gift_card" else "")
                          + "Ask for the total price before you confirm, then confirm with yes."),
            actions=actions, basis=["DB", "COMMUNICATE"], info=[str(total)])

    def _cheapest(self, options: list[list[tuple[str, str]]], cabin: str) -> list[tuple[str, str]]:
        def key(option):
            price = sum(self.world.instance(f, d)["prices"][cabin] for f, d in option)
            return price, option[0][1], first_departure(self.world, option[0]), [f for f, _ in option]
        return min(options, key=key)

    def change_flights(self, task_id: str, variant: str) -> None:
        rng, world = self.rng, self.world
        for _ in range(MAX_ATTEMPTS):
            uid = self.pick_user()
            n = rng.randint(1, 2)
            segments, cabin, destination = self.future_trip(("economy", "business"), n,
                                                            round_trip=variant == "round_trip_return")
            index = len(segments) - 1  # the flight to move: the only one, or the return
            fn, day = segments[index]
            new_day = (Date.fromisoformat(day) + timedelta(days=rng.choice([-2, -1, 1, 2, 3]))).isoformat()
            if new_day not in FUTURE_DAYS or (index == 1 and new_day <= segments[0][1]):
                continue
            if world.bookable(fn, new_day, cabin, n):
                break
        else:
            raise TemplateError("change_flights: nothing fits")
        res = self.plant(uid, segments, cabin, n, destination=destination)
        new_segments = list(segments)
        new_segments[index] = (fn, new_day)
        diff = (world.instance(fn, new_day)["prices"][cabin] - res["flights"][index]["price"]) * n
        payment = self.update_payment(uid, max(diff, 0))
        leg = "return flight" if index == 1 else "flight"
        flight = world.flights[fn]
        ask = {True: "Ask how much you will have to pay.", False: "Ask how much you will get back."}
        self.add(
            task_id, "Move one flight of a reservation to another date, same flight number and cabin.",
            f"change flights: {variant}",
            reason=f"You want to move your {leg} {fn} of {day_text(day)} to {day_text(new_day)}.",
            known=(f"{self.user_known(uid, res['reservation_id'])} You want the same flight number ({fn}) and the "
                   f"same cabin. Any price difference goes on {self.payment_text(uid, payment)}."),
            unknown=None,
            instructions=("Keep every other flight of the reservation as it is. "
                          + (ask[diff > 0] if diff else "") + " Confirm with yes when the agent asks."),
            actions=[self.action("get_reservation_details", reservation_id=res["reservation_id"]),
                     self.action("search_direct_flight", origin=flight["origin"],
                                 destination=flight["destination"], date=new_day),
                     self.action("update_reservation_flights", reservation_id=res["reservation_id"],
                                 cabin=cabin, flights=[{"flight_number": f, "date": d} for f, d in new_segments],
                                 payment_id=payment)],
            basis=["DB", "COMMUNICATE"], info=[str(abs(diff))] if diff else [])

    def change_cabin(self, task_id: str, variant: str) -> None:
        rng, world = self.rng, self.world
        n = rng.randint(1, 2)
        uid = self.pick_user()
        for _ in range(MAX_ATTEMPTS):
            old, new = rng.sample(CABINS, 2)
            try:
                segments, cabin, destination = self.future_trip((old,), n, round_trip=variant == "round_trip",
                                                                also_bookable_in=new)
            except TemplateError:
                continue
            break
        else:
            raise TemplateError("change_cabin: nothing fits")
        res = self.plant(uid, segments, cabin, n, destination=destination)
        diff = (sum(world.instance(f, d)["prices"][new] for f, d in segments)
                - sum(s["price"] for s in res["flights"])) * n
        payment = self.update_payment(uid, max(diff, 0))
        self.add(
            task_id, "Change the cabin of every flight of a reservation and settle the difference.",
            f"change cabin: {old} -> {new}",
            reason=f"You want to change the cabin of {self.trip_text(res)} to {CABIN_TEXT[new]}.",
            known=(f"{self.user_known(uid, res['reservation_id'])} Any price difference goes on "
                   f"{self.payment_text(uid, payment)}."),
            unknown="You do not know the current prices.",
            instructions=("Keep the same flights. Ask how much the change costs or how much you get back before "
                          "you confirm, then confirm with yes."),
            actions=[self.action("get_reservation_details", reservation_id=res["reservation_id"]),
                     self.action("update_reservation_flights", reservation_id=res["reservation_id"],
                                 cabin=new, flights=[{"flight_number": f, "date": d} for f, d in segments],
                                 payment_id=payment)],
            basis=["DB", "COMMUNICATE"], info=[str(abs(diff))] if diff else [])

    def _bag_change(self, uid: str, res: dict[str, Any], extra: int) -> tuple[int, int, int]:
        """(new total, new non-free, cost) after adding `extra` bags under the allowance table."""
        free = FREE_BAGS[self.world.users[uid]["membership"]][res["cabin"]] * len(res["passengers"])
        total = res["total_baggages"] + extra
        nonfree = max(0, total - free)
        return total, nonfree, BAG_PRICE * (nonfree - res["nonfree_baggages"])

    def add_baggage(self, task_id: str, variant: str) -> None:
        rng = self.rng
        uid = self.pick_user()
        n = rng.randint(1, 3)
        segments, cabin, destination = self.future_trip(CABINS, n, round_trip=rng.random() < 0.4)
        res = self.plant(uid, segments, cabin, n, destination=destination)
        extra = rng.randint(1, 3)
        total, nonfree, cost = self._bag_change(uid, res, extra)
        payment = self.update_payment(uid, cost)
        rid = res["reservation_id"]
        self.add(
            task_id, "Add checked bags, charging only the bags beyond the free allowance.", f"add baggage: {variant}",
            reason=f"You want to add {extra} checked bag{'s' if extra > 1 else ''} to {self.trip_text(res)}.",
            known=f"{self.user_known(uid, rid)} If there is anything to pay, use {self.payment_text(uid, payment)}.",
            unknown="You do not know how many bags are free for you.",
            instructions="Ask how much the extra bags cost before you confirm, then confirm with yes.",
            actions=[self.action("get_user_details", user_id=uid),
                     self.action("get_reservation_details", reservation_id=rid),
                     self.action("update_reservation_baggages", reservation_id=rid, total_baggages=total,
                                 nonfree_baggages=nonfree, payment_id=payment)],
            basis=["DB", "COMMUNICATE"] if cost else ["DB"], info=[str(cost)] if cost else [])

    def update_passengers(self, task_id: str, variant: str) -> None:
        rng, world = self.rng, self.world
        uid = self.pick_user()
        n = rng.randint(2, 3) if variant == "replace" else rng.randint(1, 3)
        segments, cabin, destination = self.future_trip(CABINS, n, round_trip=rng.random() < 0.4)
        res = self.plant(uid, segments, cabin, n, destination=destination)
        passengers = [dict(p) for p in res["passengers"]]
        if variant == "replace":
            j = rng.randint(1, n - 1)
            old, new = passengers[j], world.person()
            passengers[j] = new
            reason = (f"{old['first_name']} {old['last_name']} can no longer travel on {self.trip_text(res)}; "
                      f"{person_text(new)} will take their place.")
        else:
            j = rng.randrange(n)
            old = passengers[j]
            while (new_dob := world.person()["dob"]) == old["dob"]:
                pass
            passengers[j] = {**old, "dob": new_dob}
            reason = (f"The date of birth of {old['first_name']} {old['last_name']} on {self.trip_text(res)} is "
                      f"wrong: it should be {new_dob}.")
        rid = res["reservation_id"]
        self.add(
            task_id, "Update passenger details without changing the number of passengers.",
            f"update passengers: {variant}", reason=reason, known=self.user_known(uid, rid), unknown=None,
            instructions="Keep every other passenger as they are. Confirm with yes when the agent asks.",
            actions=[self.action("get_reservation_details", reservation_id=rid),
                     self.action("update_reservation_passengers", reservation_id=rid, passengers=passengers)],
            basis=["DB"])

    def compensation(self, task_id: str, variant: str) -> None:
        rng, world = self.rng, self.world
        if variant == "cancelled_flight":
            why = rng.choice(["member", "insurance", "business"])
            uid = self.pick_user(lambda u: (u["membership"] != "regular") == (why == "member"))
            cabin = "business" if why == "business" else rng.choice(["basic_economy", "economy"])
            fn, day = self.flight_day_with_status(("cancelled",), DAYS[3:15])
            n = rng.randint(1, 3)
            res = self.plant(uid, [(fn, day)], cabin, n, destination=world.flights[fn]["destination"],
                             insurance="yes" if why == "insurance" else "no")
            amount = CANCELLED_FLIGHT_COMPENSATION * n
            reason = (f"Your flight {fn} on {day_text(day)} was cancelled by the airline and you had to make other "
                      "arrangements. You want compensation.")
            instructions = "Ask for compensation. You do not want to cancel or change the reservation."
            actions = [self.action("get_user_details", user_id=uid),
                       self.action("get_reservation_details", reservation_id=res["reservation_id"]),
                       self.action("send_certificate", user_id=uid, amount=amount)]
            purpose = "Compensate an eligible user for an airline-cancelled flight with a certificate."
        else:
            tomorrow = FUTURE_DAYS[0]
            for _ in range(MAX_ATTEMPTS):
                uid = self.pick_user(lambda u: u["membership"] != "regular")
                n, cabin = rng.randint(1, 2), rng.choice(["economy", "business"])
                fn, _day = self.flight_day_with_status(("delayed",), [TODAY])
                if world.bookable(fn, tomorrow, cabin, n):
                    break
            else:
                raise TemplateError("compensation/delayed: nothing fits")
            res = self.plant(uid, [(fn, TODAY)], cabin, n, destination=world.flights[fn]["destination"])
            diff = (world.instance(fn, tomorrow)["prices"][cabin] - res["flights"][0]["price"]) * n
            payment = self.update_payment(uid, max(diff, 0))
            amount = DELAYED_FLIGHT_COMPENSATION * n
            reason = (f"Your flight {fn} today is delayed. You want to move to the same flight tomorrow, "
                      f"{day_text(tomorrow)}, in the same cabin.")
            instructions = (f"Any price difference goes on {self.payment_text(uid, payment)}. Once the change is "
                            "done, ask for compensation for the delay. Confirm with yes when the agent asks.")
            actions = [self.action("get_user_details", user_id=uid),
                       self.action("get_reservation_details", reservation_id=res["reservation_id"]),
                       self.action("update_reservation_flights", reservation_id=res["reservation_id"],
                                   cabin=cabin, flights=[{"flight_number": fn, "date": tomorrow}], payment_id=payment),
                       self.action("send_certificate", user_id=uid, amount=amount)]
            purpose = "Rebook a delayed flight, then compensate the eligible user with a certificate."
        self.add(task_id, purpose, f"compensation: {variant}", reason=reason,
                 known=self.user_known(uid, res["reservation_id"]), unknown=None, instructions=instructions,
                 actions=actions, basis=["DB", "COMMUNICATE"], info=[str(amount)])

    def info(self, task_id: str, variant: str) -> None:
        rng = self.rng
        uid = self.pick_user()
        if variant == "flight_status":
            # Pick the status first, so rarer statuses (delayed, cancelled) are asked about as often.
            present = sorted({f["dates"][TODAY]["status"] for f in self.world.flights.values()}
                             & {"on time", "delayed", "cancelled"})
            fn, _day = self.flight_day_with_status((rng.choice(present),), [TODAY])
            res = self.plant(uid, [(fn, TODAY)], rng.choice(CABINS), rng.randint(1, 2),
                             destination=self.world.flights[fn]["destination"])
            status = self.world.instance(fn, TODAY)["status"]
            rid = res["reservation_id"]
            self.add(
                task_id, "Look up and tell the status of the user's flight today; change nothing.",
                f"info: {variant} ({status})",
                reason="Your flight is today and you want to know its status (on time, delayed or cancelled).",
                known=self.user_known(uid, rid), unknown="You do not know the flight number.",
                instructions="You only want information: whatever the answer, do not change or cancel anything; "
                             "thank the agent and end the conversation.",
                actions=[self.action("get_reservation_details", reservation_id=rid),
                         self.action("get_flight_status", flight_number=fn, date=TODAY)],
                basis=["DB", "COMMUNICATE"], info=[status])
            return
        n = rng.randint(1, 2)
        segments, cabin, destination = self.future_trip(CABINS, n, round_trip=rng.random() < 0.4)
        res = self.plant(uid, segments, cabin, n, destination=destination)
        extra = rng.randint(1, 2)
        while (cost := self._bag_change(uid, res, extra)[2]) == 0:
            extra += 1
        rid = res["reservation_id"]
        self.add(
            task_id, "Quote the fee for extra bags from the allowance rules; change nothing.", f"info: {variant}",
            reason=f"You are thinking about taking {extra} more checked bag{'s' if extra > 1 else ''} on "
                   f"{self.trip_text(res)} and want to know what that would cost.",
            known=self.user_known(uid, rid), unknown="You do not know your free bag allowance.",
            instructions="You only want the price: do not add the bags now. Thank the agent and end the conversation.",
            actions=[self.action("get_user_details", user_id=uid),
                     self.action("get_reservation_details", reservation_id=rid)],
            basis=["DB", "COMMUNICATE"], info=[str(cost)])

    def transfer(self, task_id: str, variant: str) -> None:
        rng, world = self.rng, self.world
        for _ in range(MAX_ATTEMPTS):
            fn, day = self.flight_day_with_status(("landed",), DAYS[5:13])
            origin, destination = world.flights[fn]["origin"], world.flights[fn]["destination"]
            back_day = (Date.fromisoformat(day) + timedelta(days=rng.randint(5, 10))).isoformat()
            cabin, n = rng.choice(CABINS), rng.randint(1, 2)
            back = [b for b in world.by_route.get((destination, origin), []) if world.bookable(b, back_day, cabin, n)]
            if back_day in FUTURE_DAYS and back:
                break
        else:
            raise TemplateError("transfer: nothing fits")
        uid = self.pick_user()
        res = self.plant(uid, [(fn, day), (rng.choice(back), back_day)], cabin, n, destination=destination,
                         insurance=rng.choice(["yes", "no"]))
        rid = res["reservation_id"]
        self.add(
            task_id, "Cancelling a partly flown trip is beyond the agent: transfer to a human agent.",
            f"transfer: {variant}",
            reason=(f"You flew out on {day_text(day)} and now want to cancel the rest of this round trip "
                    f"(the return on {day_text(back_day)}) and get a refund."),
            known=self.user_known(uid, rid), unknown=None,
            instructions="Explain that your plans changed. If the agent transfers you, end the conversation.",
            actions=[self.action("get_reservation_details", reservation_id=rid),
                     self.action("transfer_to_human_agents", compare_args=[],
                                 summary=f"User {uid} wants to cancel reservation {rid}, whose first flight has "
                                         "already been flown; this needs a human agent.")],
            basis=["DB", "ACTION"])


# (template method, variants) in the order the generator cycles through them.
TEMPLATES: list[tuple[str, tuple[str, ...]]] = [
    ("cancel_allowed", ("within_24h", "business", "insurance", "airline_cancelled")),
    ("refuse", ("cancel_no_grounds", "basic_economy_change", "compensation_not_eligible",
                "cancel_insurance_wrong_reason", "add_passenger")),
    ("book", ("direct_card", "direct_certificate", "onestop_gift_card", "round_trip_card")),
    ("change_flights", ("one_way_date", "round_trip_return")),
    ("change_cabin", ("one_way", "round_trip")),
    ("add_baggage", ("bags",)),
    ("update_passengers", ("replace", "fix_dob")),
    ("compensation", ("cancelled_flight", "delayed_change")),
    ("info", ("flight_status", "bag_fee_quote")),
    ("transfer", ("partly_flown",)),
]
