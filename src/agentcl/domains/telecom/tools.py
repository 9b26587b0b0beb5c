"""The agent's side of telecom: 13 back-office tools, plus the set-up and assertion functions tasks name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...environment import Toolkit, ToolKind, tool
from ...errors import ToolError
from . import backoffice as bo


class TelecomAgentTools(Toolkit):
    name = "telecom_agent"

    # -- customer look-up ------------------------------------------------------------------
    @tool(ToolKind.READ)
    def get_customer_by_phone(self, phone_number: str) -> dict[str, Any]:
        """Find the customer whose contact number or one of whose lines has this phone number.

        Args:
            phone_number: The phone number to look up, e.g. 555-123-2002.
        """
        wanted = bo.digits(phone_number)
        if wanted:
            for customer in self.data["customers"]:
                if bo.digits(customer.get("phone_number", "")) == wanted:
                    return customer
            line = bo.find_line_by_phone(self.data, phone_number)
            owner = bo.owner_of_line(self.data, line["line_id"]) if line else None
            if owner is not None:
                return owner
        raise ToolError(f"no customer found with phone number {phone_number}")

    @tool(ToolKind.READ)
    def get_customer_by_id(self, customer_id: str) -> dict[str, Any]:
        """Get a customer's profile by customer ID.

        Args:
            customer_id: The customer ID, e.g. C1001.
        """
        return bo.get(self.data, "customers", customer_id)

    @tool(ToolKind.READ)
    def get_customer_by_name(self, full_name: str, dob: str) -> list[dict[str, Any]]:
        """Find customers by full name and date of birth (both must match).

        Args:
            full_name: The customer's full name.
            dob: The date of birth, YYYY-MM-DD.
        """
        name = " ".join(full_name.split()).casefold()
        return [c for c in self.data["customers"]
                if " ".join(c.get("full_name", "").split()).casefold() == name and c.get("date_of_birth") == dob]

    @tool(ToolKind.READ)
    def get_details_by_id(self, id: str) -> dict[str, Any]:
        """Get the record of a customer, line, device, bill or plan by its ID.

        Args:
            id: The ID of the record, e.g. C1001, L1002, D1001, B1003 or P1001.
        """
        for collection in bo.COLLECTIONS:
            item = bo.find(self.data, collection, id)
            if item is not None:
                return item
        raise ToolError(f"no customer, line, device, bill or plan has ID {id}")

    # -- lines -----------------------------------------------------------------------------
    @tool(ToolKind.WRITE)
    def suspend_line(self, customer_id: str, line_id: str, reason: str) -> dict[str, Any]:
        """Suspend an active line (a holding fee of $5 per month applies while suspended).

        Args:
            customer_id: The ID of the customer who owns the line.
            line_id: The ID of the line to suspend.
            reason: Why the line is being suspended.
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        if line["status"] != bo.LINE_ACTIVE:
            raise ToolError(f"line {line_id} is {line['status']}; only an Active line can be suspended")
        line["status"] = bo.LINE_SUSPENDED
        line["suspension_start_date"] = bo.TODAY.isoformat()
        return {"message": f"Line {line_id} suspended ({reason}). A $5/month holding fee applies.", "line": line}

    @tool(ToolKind.WRITE)
    def resume_line(self, customer_id: str, line_id: str) -> dict[str, Any]:
        """Resume a suspended (or pending-activation) line. The phone needs a reboot to pick up service.

        Args:
            customer_id: The ID of the customer who owns the line.
            line_id: The ID of the line to resume.
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        if line["status"] not in (bo.LINE_SUSPENDED, bo.LINE_PENDING):
            raise ToolError(f"line {line_id} is {line['status']}; only a Suspended line can be resumed")
        line["status"] = bo.LINE_ACTIVE
        line["suspension_start_date"] = None
        return {"message": "Line resumed successfully", "line": line}

    # -- billing ---------------------------------------------------------------------------
    @tool(ToolKind.READ)
    def get_bills_for_customer(self, customer_id: str, limit: int = 12) -> list[dict[str, Any]]:
        """List a customer's bills, newest first.

        Args:
            customer_id: The ID of the customer.
            limit: The most bills to return.
        """
        customer = bo.get(self.data, "customers", customer_id)
        if limit < 1:
            raise ToolError("limit must be at least 1")
        bills = sorted(bo.customer_bills(self.data, customer), key=lambda b: b.get("issue_date", ""), reverse=True)
        return bills[:limit]

    @tool(ToolKind.WRITE)
    def send_payment_request(self, customer_id: str, bill_id: str) -> str:
        """Send the customer a payment request for one of their bills; the bill becomes Awaiting Payment.
        This does not check the bill's status: check that it is overdue first.

        Args:
            customer_id: The ID of the customer who owns the bill.
            bill_id: The ID of the bill to request payment for.
        """
        customer = bo.get(self.data, "customers", customer_id)
        if bill_id not in customer.get("bill_ids", []):
            raise ToolError(f"bill {bill_id} does not belong to customer {customer_id}")
        if bo.bills_awaiting_payment(self.data, customer):
            raise ToolError(f"customer {customer_id} already has a bill awaiting payment")
        bill = bo.get(self.data, "bills", bill_id)
        bill["status"] = bo.BILL_AWAITING
        return f"Payment request sent to the customer for bill {bill_id}"

    # -- usage, roaming, data --------------------------------------------------------------
    @tool(ToolKind.READ)
    def get_data_usage(self, customer_id: str, line_id: str) -> dict[str, Any]:
        """Get a line's mobile data usage this billing cycle, its plan's limit and any refuelled data.

        Args:
            customer_id: The ID of the customer who owns the line.
            line_id: The ID of the line.
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        plan = bo.get(self.data, "plans", line["plan_id"])
        return {
            "line_id": line_id,
            "data_used_gb": line["data_used_gb"],
            "data_limit_gb": plan["data_limit_gb"],
            "data_refueling_gb": line["data_refueling_gb"],
            "cycle_end_date": bo.month_end(bo.TODAY).isoformat(),
        }

    @tool(ToolKind.WRITE)
    def enable_roaming(self, customer_id: str, line_id: str) -> str:
        """Turn on international roaming for a line in the back office.

        Args:
            customer_id: The ID of the customer who owns the line.
            line_id: The ID of the line.
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        if line["roaming_enabled"]:
            return "Roaming was already enabled"
        line["roaming_enabled"] = True
        return "Roaming enabled successfully"

    @tool(ToolKind.WRITE)
    def disable_roaming(self, customer_id: str, line_id: str) -> str:
        """Turn off international roaming for a line in the back office.

        Args:
            customer_id: The ID of the customer who owns the line.
            line_id: The ID of the line.
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        if not line["roaming_enabled"]:
            return "Roaming was already disabled"
        line["roaming_enabled"] = False
        return "Roaming disabled successfully"

    @tool(ToolKind.WRITE)
    def refuel_data(self, customer_id: str, line_id: str, gb_amount: float) -> dict[str, Any]:
        """Add extra data to a line; the plan's price per GB is charged on the customer's next bill.

        Args:
            customer_id: The ID of the customer who owns the line.
            line_id: The ID of the line.
            gb_amount: How many GB to add (positive).
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        if gb_amount <= 0:
            raise ToolError("gb_amount must be positive")
        plan = bo.get(self.data, "plans", line["plan_id"])
        price = float(plan["data_refueling_price_per_gb"])
        charge = round(gb_amount * price, 2)
        line["data_refueling_gb"] = round(float(line["data_refueling_gb"]) + gb_amount, 6)
        self._add_charge(customer_id, charge, f"Data refuel {gb_amount:g} GB at ${price:g}/GB - line {line_id}")
        # τ²-bench shows this plain dict's numbers as text ("2.0"): its renderer stringifies them
        return {"message": f"Successfully added {float(gb_amount)} GB of data for line {line_id} for ${charge:.2f}",
                "new_data_refueling_gb": str(float(line["data_refueling_gb"])), "charge": str(float(charge))}

    @tool(ToolKind.GENERIC)
    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent, with a summary of their issue. Only when the user asks
        for a human or the issue cannot be solved with the policy and the tools.

        Args:
            summary: A summary of the user's issue.
        """
        return "Transfer successful"

    def _add_charge(self, customer_id: str, amount: float, description: str) -> None:
        """Put a one-time charge on the customer's draft bill (opening next month's if none)."""
        customer = bo.get(self.data, "customers", customer_id)
        draft = next((b for b in bo.customer_bills(self.data, customer) if b.get("status") == bo.BILL_DRAFT), None)
        if draft is None:
            start = bo.next_month_start(bo.TODAY)
            draft = {"bill_id": bo.next_bill_id(self.data), "customer_id": customer_id,
                     "period_start": start.isoformat(), "period_end": bo.month_end(start).isoformat(),
                     "issue_date": start.isoformat(), "total_due": 0.0,
                     "due_date": (start + timedelta(days=14)).isoformat(), "status": bo.BILL_DRAFT,
                     "line_items": []}
            self.data["bills"].append(draft)
            customer["bill_ids"].append(draft["bill_id"])
        draft.setdefault("line_items", []).append({"description": description, "amount": amount,
                                                   "date": bo.TODAY.isoformat(), "item_type": "Charge"})
        draft["total_due"] = round(float(draft["total_due"]) + amount, 2)

    # -- set-up functions named by tasks (not tools) ----------------------------------------
    def set_data_usage(self, customer_id: str, line_id: str, data_used_gb: float) -> str:
        line = bo.customer_line(self.data, customer_id, line_id)
        line["data_used_gb"] = data_used_gb
        return f"data usage of line {line_id} set to {data_used_gb} GB"

    def suspend_line_for_overdue_bill(self, customer_id: str, line_id: str, new_bill_id: str,
                                      contract_ended: bool) -> str:
        """Add an overdue bill for last month's plan charge and suspend the line for it.

        With `contract_ended`, the line's contract also ends last month, so policy forbids resuming it.
        """
        line = bo.customer_line(self.data, customer_id, line_id)
        if line["status"] != bo.LINE_ACTIVE:
            raise ToolError(f"line {line_id} must be Active to be suspended for an unpaid bill")
        customer = bo.get(self.data, "customers", customer_id)
        if any(b.get("status") == bo.BILL_OVERDUE for b in bo.customer_bills(self.data, customer)):
            raise ToolError(f"customer {customer_id} already has an overdue bill")
        if bo.find(self.data, "bills", new_bill_id) is not None:
            raise ToolError(f"bill {new_bill_id} already exists")
        plan = bo.get(self.data, "plans", line["plan_id"])
        period_end = bo.month_start(bo.TODAY) - timedelta(days=1)
        period_start = bo.month_start(period_end)
        issued = period_end + timedelta(days=1)
        amount = float(plan["price_per_month"])
        self.data["bills"].append({
            "bill_id": new_bill_id, "customer_id": customer_id,
            "period_start": period_start.isoformat(), "period_end": period_end.isoformat(),
            "issue_date": issued.isoformat(), "total_due": amount,
            "due_date": (issued + timedelta(days=14)).isoformat(), "status": bo.BILL_OVERDUE,
            "line_items": [{"description": f"{plan['name']} - Line {line['phone_number']}", "amount": amount,
                            "date": issued.isoformat(), "item_type": "Plan Charge"}],
        })
        customer["bill_ids"].append(new_bill_id)
        line["status"] = bo.LINE_SUSPENDED
        line["suspension_start_date"] = bo.TODAY.isoformat()
        if contract_ended:
            line["contract_end_date"] = period_end.isoformat()
        return f"line {line_id} suspended for overdue bill {new_bill_id} (contract ended: {contract_ended})"

    # -- env assertions (not tools) ----------------------------------------------------------
    def assert_data_refueling_amount(self, customer_id: str, line_id: str, expected_amount: float) -> bool:
        line = bo.customer_line(self.data, customer_id, line_id)
        return abs(float(line["data_refueling_gb"]) - expected_amount) < 1e-6

    def assert_line_status(self, customer_id: str, line_id: str, expected_status: str) -> bool:
        return bo.customer_line(self.data, customer_id, line_id)["status"] == expected_status

    def assert_line_roaming_status(self, customer_id: str, line_id: str, expected_status: bool) -> bool:
        return bool(bo.customer_line(self.data, customer_id, line_id)["roaming_enabled"]) == expected_status

    def assert_overdue_bill_exists(self, customer_id: str, overdue_bill_id: str) -> bool:
        customer = bo.get(self.data, "customers", customer_id)
        bill = bo.find(self.data, "bills", overdue_bill_id)
        return overdue_bill_id in customer.get("bill_ids", []) and bill is not None and bill["status"] == bo.BILL_OVERDUE

    def assert_no_overdue_bill(self, overdue_bill_id: str) -> bool:
        """True when the bill does not exist or has been paid."""
        bill = bo.find(self.data, "bills", overdue_bill_id)
        return bill is None or bill["status"] == bo.BILL_PAID
