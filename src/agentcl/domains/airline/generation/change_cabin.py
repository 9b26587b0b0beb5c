"""Airline task family `change_cabin`: Change the cabin of every flight of a reservation."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..tools import CABINS
from .context import CABIN_TEXT, MAX_ATTEMPTS, TaskMaker, TemplateError


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng, world = ctx.rng, ctx.world
    n = rng.randint(1, 2)
    uid = ctx.pick_user()
    for _ in range(MAX_ATTEMPTS):
        old, new = rng.sample(CABINS, 2)
        try:
            segments, cabin, destination = ctx.future_trip((old,), n, round_trip=variant == "round_trip",
                                                            also_bookable_in=new)
        except TemplateError:
            continue
        break
    else:
        raise TemplateError("change_cabin: nothing fits")
    res = ctx.plant(uid, segments, cabin, n, destination=destination)
    diff = (sum(world.instance(f, d)["prices"][new] for f, d in segments)
            - sum(s["price"] for s in res["flights"])) * n
    payment = ctx.update_payment(uid, max(diff, 0))
    return ctx.task(
        task_id, "Change the cabin of every flight of a reservation and settle the difference.",
        f"change cabin: {old} -> {new}",
        reason=f"You want to change the cabin of {ctx.trip_text(res)} to {CABIN_TEXT[new]}.",
        known=(f"{ctx.user_known(uid, res['reservation_id'])} Any price difference goes on "
               f"{ctx.payment_text(uid, payment)}."),
        unknown="You do not know the current prices.",
        instructions=("Keep the same flights. Ask how much the change costs or how much you get back before "
                      "you confirm, then confirm with yes."),
        actions=[ctx.action("get_reservation_details", reservation_id=res["reservation_id"]),
                 ctx.action("update_reservation_flights", reservation_id=res["reservation_id"],
                             cabin=new, flights=[{"flight_number": f, "date": d} for f, d in segments],
                             payment_id=payment)],
        basis=["DB", "COMMUNICATE"], info=[str(abs(diff))] if diff else [])


FAMILY = TaskFamily("change_cabin", build, writes=True, variants=("one_way", "round_trip"))
