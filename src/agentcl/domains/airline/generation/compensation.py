"""Airline task family `compensation`: Compensate an eligible user with a certificate (cancelled or delayed flight)."""

from __future__ import annotations

from typing import Any

from ...generation import TaskFamily
from ..policy import CANCELLED_FLIGHT_COMPENSATION, DELAYED_FLIGHT_COMPENSATION
from ..world import DAYS, FUTURE_DAYS, TODAY
from .context import MAX_ATTEMPTS, TaskMaker, TemplateError, day_text


def build(ctx: TaskMaker, task_id: str, variant: str) -> dict[str, Any]:
    rng, world = ctx.rng, ctx.world
    if variant == "cancelled_flight":
        why = rng.choice(["member", "insurance", "business"])
        uid = ctx.pick_user(lambda u: (u["membership"] != "regular") == (why == "member"))
        cabin = "business" if why == "business" else rng.choice(["basic_economy", "economy"])
        fn, day = ctx.flight_day_with_status(("cancelled",), DAYS[3:15])
        n = rng.randint(1, 3)
        res = ctx.plant(uid, [(fn, day)], cabin, n, destination=world.flights[fn]["destination"],
                         insurance="yes" if why == "insurance" else "no")
        amount = CANCELLED_FLIGHT_COMPENSATION * n
        reason = (f"Your flight {fn} on {day_text(day)} was cancelled by the airline and you had to make other "
                  "arrangements. You want compensation.")
        instructions = "Ask for compensation. You do not want to cancel or change the reservation."
        actions = [ctx.action("get_user_details", user_id=uid),
                   ctx.action("get_reservation_details", reservation_id=res["reservation_id"]),
                   ctx.action("send_certificate", user_id=uid, amount=amount)]
        purpose = "Compensate an eligible user for an airline-cancelled flight with a certificate."
    else:
        tomorrow = FUTURE_DAYS[0]
        for _ in range(MAX_ATTEMPTS):
            uid = ctx.pick_user(lambda u: u["membership"] != "regular")
            n, cabin = rng.randint(1, 2), rng.choice(["economy", "business"])
            fn, _day = ctx.flight_day_with_status(("delayed",), [TODAY])
            if world.bookable(fn, tomorrow, cabin, n):
                break
        else:
            raise TemplateError("compensation/delayed: nothing fits")
        res = ctx.plant(uid, [(fn, TODAY)], cabin, n, destination=world.flights[fn]["destination"])
        diff = (world.instance(fn, tomorrow)["prices"][cabin] - res["flights"][0]["price"]) * n
        payment = ctx.update_payment(uid, max(diff, 0))
        amount = DELAYED_FLIGHT_COMPENSATION * n
        reason = (f"Your flight {fn} today is delayed. You want to move to the same flight tomorrow, "
                  f"{day_text(tomorrow)}, in the same cabin.")
        instructions = (f"Any price difference goes on {ctx.payment_text(uid, payment)}. Once the change is "
                        "done, ask for compensation for the delay. Confirm with yes when the agent asks.")
        actions = [ctx.action("get_user_details", user_id=uid),
                   ctx.action("get_reservation_details", reservation_id=res["reservation_id"]),
                   ctx.action("update_reservation_flights", reservation_id=res["reservation_id"],
                               cabin=cabin, flights=[{"flight_number": fn, "date": tomorrow}], payment_id=payment),
                   ctx.action("send_certificate", user_id=uid, amount=amount)]
        purpose = "Rebook a delayed flight, then compensate the eligible user with a certificate."
    return ctx.task(task_id, purpose, f"compensation: {variant}", reason=reason,
             known=ctx.user_known(uid, res["reservation_id"]), unknown=None, instructions=instructions,
             actions=actions, basis=["DB", "COMMUNICATE"], info=[str(amount)])


FAMILY = TaskFamily("compensation", build, writes=True, variants=("cancelled_flight", "delayed_change"))
