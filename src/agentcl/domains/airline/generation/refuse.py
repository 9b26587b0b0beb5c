"""Airline task family `refuse`: Refuse a request the policy does not allow; the DB must not change."""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Any

from ...generation import TaskFamily
from ..world import DAYS
from .context import TaskMaker, day_text, person_text


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng = ctx.rng
    nl: list[str]
    if variant == "compensation_not_eligible":
        uid = ctx.pick_user(lambda u: u["membership"] == "regular")
        fn, day = ctx.flight_day_with_status(("cancelled",), DAYS[3:15])
        res = ctx.plant(uid, [(fn, day)], rng.choice(["basic_economy", "economy"]), rng.randint(1, 2),
                         destination=ctx.world.flights[fn]["destination"])
        reason = (f"Your flight {fn} on {day_text(day)} was cancelled by the airline and you had to make "
                  "other arrangements. You want compensation for the trouble.")
        instructions = ("Ask for compensation. You do not want to cancel or change the reservation. If the "
                        "agent says you are not eligible, complain once, then accept and end the conversation.")
        nl = ["The agent does not issue a travel certificate or any other compensation."]
        actions = [ctx.action("get_user_details", user_id=uid)]
    else:
        uid = ctx.pick_user()
        n = rng.randint(1, 3)
        cabins = ("basic_economy",) if variant == "basic_economy_change" else ("basic_economy", "economy")
        segments, cabin, destination = ctx.future_trip(cabins, n, round_trip=rng.random() < 0.3)
        res = ctx.plant(uid, segments, cabin, n, destination=destination,
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
                f"A friend, {person_text(ctx.world.person())}, wants to join you on this trip; you want them "
                "added to the same reservation.",
                "If the agent says it is not possible, accept and end the conversation. Do not book a new trip.",
                ["The agent does not change the number of passengers of the reservation."]),
        }[variant]
        actions = []
    rid = res["reservation_id"]
    actions.append(ctx.action("get_reservation_details", reservation_id=rid))
    return ctx.task(task_id, "Refuse a request that the policy does not allow; the DB must not change.",
             f"refuse: {variant}", reason=reason, known=ctx.user_known(uid, rid), unknown=None,
             instructions=instructions, actions=actions, basis=["DB"], nl=nl)


FAMILY = TaskFamily("refuse", build, writes=False, variants=(
    "cancel_no_grounds",
    "basic_economy_change",
    "compensation_not_eligible",
    "cancel_insurance_wrong_reason",
    "add_passenger",
))
