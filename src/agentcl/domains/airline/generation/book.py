"""Airline task family `book`: Search flights and book the cheapest option that fits."""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Any

from ...generation import TaskFamily
from ..policy import FREE_BAGS
from ..tools import BAG_PRICE, CABINS, INSURANCE_PRICE_PER_PASSENGER
from ..world import FUTURE_DAYS, party
from .context import (
    CABIN_TEXT,
    MAX_ATTEMPTS,
    TaskMaker,
    TemplateError,
    airport_text,
    day_text,
    first_departure,
    person_text,
)


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng, world = ctx.rng, ctx.world
    for _ in range(MAX_ATTEMPTS):
        if variant == "direct_certificate":
            uid = ctx.pick_user(lambda u: bool(world.payment_ids(u, "certificate")))
        elif variant == "onestop_gift_card":
            uid = ctx.pick_user(lambda u: bool(world.payment_ids(u, "gift_card")))
        else:
            uid = ctx.pick_user()
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
        segments = list(_cheapest(ctx, options, cabin))
        back_day = None
        if variant == "round_trip_card":
            back_day = (Date.fromisoformat(day) + timedelta(days=rng.randint(2, 4))).isoformat()
            back = world.direct_options(destination, origin, back_day, cabin, n)
            if not back:
                continue
            segments += _cheapest(ctx, back, cabin)
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
            pay_text = (f"Use {ctx.payment_text(uid, cert)} for as much as it covers and pay the rest with "
                        f"{ctx.payment_text(uid, card)}.")
        elif variant == "onestop_gift_card":
            gifts = [g for g in world.payment_ids(user, "gift_card") if user["payment_methods"][g]["amount"] >= total]
            if not gifts:
                continue
            payments = [{"payment_id": gifts[0], "amount": total}]
            pay_text = f"Pay everything with {ctx.payment_text(uid, gifts[0])}."
        else:
            payments = [{"payment_id": card, "amount": total}]
            pay_text = f"Pay with {ctx.payment_text(uid, card)}."
        break
    else:
        raise TemplateError(f"book/{variant}: nothing fits")
    passengers = party(world, user, n)
    flight_type = "round_trip" if back_day else "one_way"
    trip = (f"a round trip from {airport_text(origin)} to {airport_text(destination)}, leaving on "
            f"{day_text(day)} and coming back on {day_text(back_day)}" if back_day else
            f"a one-way trip from {airport_text(origin)} to {airport_text(destination)} on {day_text(day)}")
    people = "; ".join(person_text(p) for p in passengers)
    actions = [ctx.action("get_user_details", user_id=uid),
               ctx.action("search_direct_flight", origin=origin, destination=destination, date=day)]
    if variant == "onestop_gift_card":
        actions.append(ctx.action("search_onestop_flight", origin=origin, destination=destination, date=day))
    if back_day:
        actions.append(ctx.action("search_direct_flight", origin=destination, destination=origin,
                                   date=back_day))
    actions.append(ctx.action(
        "book_reservation", user_id=uid, origin=origin, destination=destination, flight_type=flight_type,
        cabin=cabin, flights=[{"flight_number": f, "date": d} for f, d in segments],
        passengers=passengers, payment_methods=payments, total_baggages=bags, nonfree_baggages=nonfree,
        insurance=insurance))
    return ctx.task(
        task_id, "Search flights and book the cheapest option that fits, with the payment the user names.",
        f"book: {variant}",
        reason=f"You want to book {trip} in {CABIN_TEXT[cabin]}.",
        known=(f"{ctx.user_known(uid)} Passengers, in this order: {people}. You want {bags} checked bag"
               f"{'s' if bags != 1 else ''} in total. You {'want' if insurance == 'yes' else 'do not want'} "
               f"travel insurance. {pay_text}"),
        unknown="You do not know the flight numbers or the prices.",
        instructions=(f"You want the cheapest {CABIN_TEXT[cabin]} option{' for each direction' if back_day else ''} "
                      "that has enough seats for all passengers; if two cost the same, take the one that leaves "
                      "earlier. "
                      + ("A connection is fine if there is no direct flight. " if variant == "onestop_gift_card" else "")
                      + "Ask for the total price before you confirm, then confirm with yes."),
        actions=actions, basis=["DB", "COMMUNICATE"], info=[str(total)])

def _cheapest(ctx: TaskMaker, options: list[list[tuple[str, str]]], cabin: str) -> list[tuple[str, str]]:
    def key(option):
        price = sum(ctx.world.instance(f, d)["prices"][cabin] for f, d in option)
        return price, option[0][1], first_departure(ctx.world, option[0]), [f for f, _ in option]
    return min(options, key=key)


FAMILY = TaskFamily("book", build, writes=True, variants=(
    "direct_card",
    "direct_certificate",
    "onestop_gift_card",
    "round_trip_card",
))
