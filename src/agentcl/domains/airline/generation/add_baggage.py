"""Airline task family `add_baggage`: Add checked bags, charging only those beyond the free allowance."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..tools import CABINS
from .context import TaskMaker


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng = ctx.rng
    uid = ctx.pick_user()
    n = rng.randint(1, 3)
    segments, cabin, destination = ctx.future_trip(CABINS, n, round_trip=rng.random() < 0.4)
    res = ctx.plant(uid, segments, cabin, n, destination=destination)
    extra = rng.randint(1, 3)
    total, nonfree, cost = ctx.bag_change(uid, res, extra)
    payment = ctx.update_payment(uid, cost)
    rid = res["reservation_id"]
    return ctx.task(
        task_id, "Add checked bags, charging only the bags beyond the free allowance.", f"add baggage: {variant}",
        reason=f"You want to add {extra} checked bag{'s' if extra > 1 else ''} to {ctx.trip_text(res)}.",
        known=f"{ctx.user_known(uid, rid)} If there is anything to pay, use {ctx.payment_text(uid, payment)}.",
        unknown="You do not know how many bags are free for you.",
        instructions="Ask how much the extra bags cost before you confirm, then confirm with yes.",
        actions=[ctx.action("get_user_details", user_id=uid),
                 ctx.action("get_reservation_details", reservation_id=rid),
                 ctx.action("update_reservation_baggages", reservation_id=rid, total_baggages=total,
                             nonfree_baggages=nonfree, payment_id=payment)],
        basis=["DB", "COMMUNICATE"] if cost else ["DB"], info=[str(cost)] if cost else [])


FAMILY = TaskFamily("add_baggage", build, writes=True, variants=("bags",))
