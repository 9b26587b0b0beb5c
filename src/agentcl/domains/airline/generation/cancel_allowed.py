"""Airline task family `cancel_allowed`: Cancel a reservation the policy allows to cancel, and tell the refund."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..world import DAYS
from .context import TaskMaker, day_text


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng = ctx.rng
    uid = ctx.pick_user()
    n = rng.randint(1, 3)
    if variant == "airline_cancelled":
        fn, day = ctx.flight_day_with_status(("cancelled",), DAYS[9:])
        res = ctx.plant(uid, [(fn, day)], rng.choice(["basic_economy", "economy"]), n,
                         destination=ctx.world.flights[fn]["destination"])
        reason = (f"The airline cancelled your flight {fn} on {day_text(day)}. You want to cancel the "
                  "reservation and get your money back.")
    else:
        cabins = ("business",) if variant == "business" else ("basic_economy", "economy")
        segments, cabin, destination = ctx.future_trip(cabins, n, round_trip=rng.random() < 0.4)
        created = ctx.created_recently() if variant == "within_24h" else None
        res = ctx.plant(uid, segments, cabin, n, destination=destination,
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
        ctx.trip_text(ctx.world.reservations[other]) == ctx.trip_text(res)
        for other in ctx.world.users[uid]["reservations"] if other != rid)
    refund = sum(p["amount"] for p in res["payment_history"])
    actions = [ctx.action("get_user_details", user_id=uid)]
    if not knows_id:  # the agent looks through the user's reservations until it finds this one
        for other in ctx.world.users[uid]["reservations"]:
            actions.append(ctx.action("get_reservation_details", reservation_id=other))
            if other == rid:
                break
    else:
        actions.append(ctx.action("get_reservation_details", reservation_id=rid))
    actions.append(ctx.action("cancel_reservation", reservation_id=rid))
    return ctx.task(
        task_id, "Cancel a reservation that the policy allows to cancel, and tell the refund.",
        f"cancel allowed: {variant}",
        reason=reason,
        known=ctx.user_known(uid, rid if knows_id else None)
        + ("" if knows_id else f" The reservation is {ctx.trip_text(res)}."),
        unknown=None if knows_id else "You do not remember the reservation id.",
        instructions="Give the reason for cancelling when asked. Ask how much money you will get back in "
                     "total. Confirm the cancellation when the agent asks.",
        actions=actions, basis=["DB", "COMMUNICATE"], info=[str(refund)])


FAMILY = TaskFamily("cancel_allowed", build, writes=True, variants=(
    "within_24h",
    "business",
    "insurance",
    "airline_cancelled",
))
