"""Airline task family `transfer`: Cancelling a partly flown trip: transfer to a human agent."""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Any

from ...generation import TaskFamily
from ..tools import CABINS
from ..world import DAYS, FUTURE_DAYS
from .context import MAX_ATTEMPTS, TaskMaker, TemplateError, day_text


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng, world = ctx.rng, ctx.world
    for _ in range(MAX_ATTEMPTS):
        fn, day = ctx.flight_day_with_status(("landed",), DAYS[5:13])
        origin, destination = world.flights[fn]["origin"], world.flights[fn]["destination"]
        back_day = (Date.fromisoformat(day) + timedelta(days=rng.randint(5, 10))).isoformat()
        cabin, n = rng.choice(CABINS), rng.randint(1, 2)
        back = [b for b in world.by_route.get((destination, origin), []) if world.bookable(b, back_day, cabin, n)]
        if back_day in FUTURE_DAYS and back:
            break
    else:
        raise TemplateError("transfer: nothing fits")
    uid = ctx.pick_user()
    res = ctx.plant(uid, [(fn, day), (rng.choice(back), back_day)], cabin, n, destination=destination,
                     insurance=rng.choice(["yes", "no"]))
    rid = res["reservation_id"]
    return ctx.task(
        task_id, "Cancelling a partly flown trip is beyond the agent: transfer to a human agent.",
        f"transfer: {variant}",
        reason=(f"You flew out on {day_text(day)} and now want to cancel the rest of this round trip "
                f"(the return on {day_text(back_day)}) and get a refund."),
        known=ctx.user_known(uid, rid), unknown=None,
        instructions="Explain that your plans changed. If the agent transfers you, end the conversation.",
        actions=[ctx.action("get_reservation_details", reservation_id=rid),
                 ctx.action("transfer_to_human_agents", compare_args=[],
                             summary=f"User {uid} wants to cancel reservation {rid}, whose first flight has "
                                     "already been flown; this needs a human agent.")],
        basis=["DB", "ACTION"])


FAMILY = TaskFamily("transfer", build, writes=False, variants=("partly_flown",))
