"""Airline task family `update_passengers`: Update passenger details (replace one, or fix a date of birth)."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..tools import CABINS
from .context import TaskMaker, person_text


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng, world = ctx.rng, ctx.world
    uid = ctx.pick_user()
    n = rng.randint(2, 3) if variant == "replace" else rng.randint(1, 3)
    segments, cabin, destination = ctx.future_trip(CABINS, n, round_trip=rng.random() < 0.4)
    res = ctx.plant(uid, segments, cabin, n, destination=destination)
    passengers = [dict(p) for p in res["passengers"]]
    if variant == "replace":
        j = rng.randint(1, n - 1)
        old, new = passengers[j], world.person()
        passengers[j] = new
        reason = (f"{old['first_name']} {old['last_name']} can no longer travel on {ctx.trip_text(res)}; "
                  f"{person_text(new)} will take their place.")
    else:
        j = rng.randrange(n)
        old = passengers[j]
        while (new_dob := world.person()["dob"]) == old["dob"]:
            pass
        passengers[j] = {**old, "dob": new_dob}
        reason = (f"The date of birth of {old['first_name']} {old['last_name']} on {ctx.trip_text(res)} is "
                  f"wrong: it should be {new_dob}.")
    rid = res["reservation_id"]
    return ctx.task(
        task_id, "Update passenger details without changing the number of passengers.",
        f"update passengers: {variant}", reason=reason, known=ctx.user_known(uid, rid), unknown=None,
        instructions="Keep every other passenger as they are. Confirm with yes when the agent asks.",
        actions=[ctx.action("get_reservation_details", reservation_id=rid),
                 ctx.action("update_reservation_passengers", reservation_id=rid, passengers=passengers)],
        basis=["DB"])


FAMILY = TaskFamily("update_passengers", build, writes=True, variants=("replace", "fix_dob"))
