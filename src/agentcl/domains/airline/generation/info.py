"""Airline task family `info`: Answer from the data (flight status, bag fee quote); change nothing."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..tools import CABINS
from ..world import TODAY
from .context import TaskMaker


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng = ctx.rng
    uid = ctx.pick_user()
    if variant == "flight_status":
        # Pick the status first, so rarer statuses (delayed, cancelled) are asked about as often.
        present = sorted({f["dates"][TODAY]["status"] for f in ctx.world.flights.values()}
                         & {"on time", "delayed", "cancelled"})
        fn, _day = ctx.flight_day_with_status((rng.choice(present),), [TODAY])
        res = ctx.plant(uid, [(fn, TODAY)], rng.choice(CABINS), rng.randint(1, 2),
                         destination=ctx.world.flights[fn]["destination"])
        status = ctx.world.instance(fn, TODAY)["status"]
        rid = res["reservation_id"]
        return ctx.task(
            task_id, "Look up and tell the status of the user's flight today; change nothing.",
            f"info: {variant} ({status})",
            reason="Your flight is today and you want to know its status (on time, delayed or cancelled).",
            known=ctx.user_known(uid, rid), unknown="You do not know the flight number.",
            instructions="You only want information: whatever the answer, do not change or cancel anything; "
                         "thank the agent and end the conversation.",
            actions=[ctx.action("get_reservation_details", reservation_id=rid),
                     ctx.action("get_flight_status", flight_number=fn, date=TODAY)],
            basis=["DB", "COMMUNICATE"], info=[status])
    n = rng.randint(1, 2)
    segments, cabin, destination = ctx.future_trip(CABINS, n, round_trip=rng.random() < 0.4)
    res = ctx.plant(uid, segments, cabin, n, destination=destination)
    extra = rng.randint(1, 2)
    while (cost := ctx.bag_change(uid, res, extra)[2]) == 0:
        extra += 1
    rid = res["reservation_id"]
    return ctx.task(
        task_id, "Quote the fee for extra bags from the allowance rules; change nothing.", f"info: {variant}",
        reason=f"You are thinking about taking {extra} more checked bag{'s' if extra > 1 else ''} on "
               f"{ctx.trip_text(res)} and want to know what that would cost.",
        known=ctx.user_known(uid, rid), unknown="You do not know your free bag allowance.",
        instructions="You only want the price: do not add the bags now. Thank the agent and end the conversation.",
        actions=[ctx.action("get_user_details", user_id=uid),
                 ctx.action("get_reservation_details", reservation_id=rid)],
        basis=["DB", "COMMUNICATE"], info=[str(cost)])


FAMILY = TaskFamily("info", build, writes=False, variants=("flight_status", "bag_fee_quote"))
