"""The sync step: after every tool call, the back office's facts about the user's line reach the phone,
and a bill the user paid on the phone reaches the back office.

Back office -> phone (written into `surroundings`, which only this step writes):
- line_active: the line's status is Active. A line that stops being active drops the phone's
  network registration at once; getting service back needs a network search (a reboot).
- roaming_allowed: the line has roaming enabled (mobile data abroad also needs the phone's switch).
- mobile_data_usage_exceeded: data used >= plan limit + refuelled data.
- payment_request: the first bill of the line's owner that is Awaiting Payment.
Phone -> back office:
- a payment request the user paid marks its bill Paid and clears the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import DataError
from . import backoffice as bo
from . import phone as ph

if TYPE_CHECKING:
    from ...environment import Environment


def sync(env: "Environment") -> None:
    if env.user_tools is None:
        return
    office = env.agent_tools.data
    phone = env.user_tools.data
    around = phone["surroundings"]
    number = around.get("phone_number")
    if not number:  # the task has not said whose phone this is yet
        return
    line = bo.find_line_by_phone(office, number)
    if line is None:
        raise DataError(f"the phone's number {number} matches no line in the telecom back office")

    around["line_active"] = line.get("status") == bo.LINE_ACTIVE
    around["roaming_allowed"] = bool(line.get("roaming_enabled"))
    around["mobile_data_usage_exceeded"] = bo.data_exhausted(office, line)
    if not around["line_active"] and phone["device"]["network_connection_status"] != "no_service":
        ph.drop_registration(phone["device"])

    request = around.get("payment_request")
    if request and request.get("paid"):
        bill = bo.find(office, "bills", request["bill_id"])
        if bill is not None:
            bill["status"] = bo.BILL_PAID
        around["payment_request"] = request = None
    if not request:
        owner = bo.owner_of_line(office, line["line_id"])
        awaiting = bo.bills_awaiting_payment(office, owner) if owner else []
        if awaiting:
            around["payment_request"] = {"bill_id": awaiting[0]["bill_id"],
                                         "amount_due": float(awaiting[0]["total_due"]), "paid": False}
