"""Airline task family `change_flights`: Move one flight of a reservation to another date."""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Any

from ...generation import TaskFamily
from ..world import FUTURE_DAYS
from .context import MAX_ATTEMPTS, TaskMaker, TemplateError, day_text


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng, world = ctx.rng, ctx.world
    for _ in range(MAX_ATTEMPTS):
        uid = ctx.pick_user()
        n = rng.randint(1, 2)
        segments, cabin, destination = ctx.future_trip(("economy", "business"), n,
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
    res = ctx.plant(uid, segments, cabin, n, destination=destination)
    new_segments = list(segments)
    new_segments[index] = (fn, new_day)
    diff = (world.instance(fn, new_day)["prices"][cabin] - res["flights"][index]["price"]) * n
    payment = ctx.update_payment(uid, max(diff, 0))
    leg = "return flight" if index == 1 else "flight"
    flight = world.flights[fn]
    ask = {True: "Ask how much you will have to pay.", False: "Ask how much you will get back."}
    return ctx.task(
        task_id, "Move one flight of a reservation to another date, same flight number and cabin.",
        f"change flights: {variant}",
        reason=f"You want to move your {leg} {fn} of {day_text(day)} to {day_text(new_day)}.",
        known=(f"{ctx.user_known(uid, res['reservation_id'])} You want the same flight number ({fn}) and the "
               f"same cabin. Any price difference goes on {ctx.payment_text(uid, payment)}."),
        unknown=None,
        instructions=("Keep every other flight of the reservation as it is. "
                      + (ask[diff > 0] if diff else "") + " Confirm with yes when the agent asks."),
        actions=[ctx.action("get_reservation_details", reservation_id=res["reservation_id"]),
                 ctx.action("search_direct_flight", origin=flight["origin"],
                             destination=flight["destination"], date=new_day),
                 ctx.action("update_reservation_flights", reservation_id=res["reservation_id"],
                             cabin=cabin, flights=[{"flight_number": f, "date": d} for f, d in new_segments],
                             payment_id=payment)],
        basis=["DB", "COMMUNICATE"], info=[str(abs(diff))] if diff else [])


FAMILY = TaskFamily("change_flights", build, writes=True, variants=("one_way_date", "round_trip_return"))
