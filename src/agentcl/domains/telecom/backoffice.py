"""Look-ups on the telecom back office (the agent's DB), shared by the agent tools and the sync.

The back office is τ²-bench's layout: lists `plans`, `devices`, `lines`, `customers`, `bills`
of plain dicts. Dates are ISO strings; "today" is fixed so that replays are deterministic.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ...errors import ToolError

TODAY = date(2025, 2, 25)  # the policy's "current time"; every date a tool writes derives from it

LINE_ACTIVE = "Active"
LINE_SUSPENDED = "Suspended"
LINE_PENDING = "Pending Activation"
BILL_PAID = "Paid"
BILL_OVERDUE = "Overdue"
BILL_AWAITING = "Awaiting Payment"
BILL_DRAFT = "Draft"

COLLECTIONS = {  # collection -> id field
    "customers": "customer_id",
    "lines": "line_id",
    "devices": "device_id",
    "bills": "bill_id",
    "plans": "plan_id",
}


def digits(phone_number: str) -> str:
    """Phone numbers match on their digits, so '555-123-2002' and '(555) 123 2002' are one number."""
    return "".join(ch for ch in str(phone_number) if ch.isdigit())


def find(data: dict[str, Any], collection: str, object_id: str) -> dict[str, Any] | None:
    key = COLLECTIONS[collection]
    for item in data.get(collection, []):
        if item.get(key) == object_id:
            return item
    return None


def get(data: dict[str, Any], collection: str, object_id: str) -> dict[str, Any]:
    item = find(data, collection, object_id)
    if item is None:
        kind = collection[:-1]
        raise ToolError(f"{kind} {object_id} not found")
    return item


def find_line_by_phone(data: dict[str, Any], phone_number: str) -> dict[str, Any] | None:
    lines = data.get("lines", [])
    for line in lines:  # the sync looks up the same well-formed number after every call: try it as written first
        if line.get("phone_number") == phone_number:
            return line
    wanted = digits(phone_number)
    if not wanted:
        return None
    for line in lines:
        if digits(line.get("phone_number", "")) == wanted:
            return line
    return None


def owner_of_line(data: dict[str, Any], line_id: str) -> dict[str, Any] | None:
    for customer in data.get("customers", []):
        if line_id in customer.get("line_ids", []):
            return customer
    return None


def customer_line(data: dict[str, Any], customer_id: str, line_id: str) -> dict[str, Any]:
    """The line, after checking that the customer exists and owns it."""
    customer = get(data, "customers", customer_id)
    if line_id not in customer.get("line_ids", []):
        raise ToolError(f"line {line_id} does not belong to customer {customer_id}")
    return get(data, "lines", line_id)


def customer_bills(data: dict[str, Any], customer: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in (find(data, "bills", bid) for bid in customer.get("bill_ids", [])) if b is not None]


def bills_awaiting_payment(data: dict[str, Any], customer: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in customer_bills(data, customer) if b.get("status") == BILL_AWAITING]


def data_exhausted(data: dict[str, Any], line: dict[str, Any]) -> bool:
    """True when the line has used its plan's allowance plus any refuelled data."""
    plan = get(data, "plans", line["plan_id"])
    return float(line.get("data_used_gb", 0.0)) >= float(plan["data_limit_gb"]) + float(line.get("data_refueling_gb", 0.0))


def next_bill_id(data: dict[str, Any]) -> str:
    """A new bill id after the highest numeric one (deterministic, unlike a random id)."""
    numbers = [int(b["bill_id"][1:]) for b in data.get("bills", []) if str(b.get("bill_id", ""))[1:].isdigit()]
    return f"B{max(numbers, default=1000) + 1}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(day: date) -> date:
    return next_month_start(day) - timedelta(days=1)


REQUIRED_FIELDS = {
    "plans": ("plan_id", "name", "data_limit_gb", "price_per_month", "data_refueling_price_per_gb"),
    "devices": ("device_id",),
    "lines": ("line_id", "phone_number", "status", "plan_id", "data_used_gb", "data_refueling_gb", "roaming_enabled"),
    "customers": ("customer_id", "full_name", "line_ids", "bill_ids"),
    "bills": ("bill_id", "customer_id", "total_due", "status"),
}


def validate_back_office(data: dict[str, Any], path: Any = None) -> None:
    """Check a back-office DB before any task runs on it: every collection, field and reference
    the tools rely on. Raises DataError naming the file and the first problem."""
    from ...errors import DataError

    for collection, fields in REQUIRED_FIELDS.items():
        items = data.get(collection)
        if not isinstance(items, list):
            raise DataError(f"the telecom back office needs a list {collection!r}", path=path)
        key = COLLECTIONS[collection]
        seen = set()
        for index, item in enumerate(items):
            missing = [f for f in fields if not isinstance(item, dict) or f not in item]
            if missing:
                raise DataError(f"{collection}[{index}] lacks {', '.join(missing)}", path=path)
            if item[key] in seen:
                raise DataError(f"duplicate {key} {item[key]!r} in {collection}", path=path)
            seen.add(item[key])
    from ...environment import validate_against
    from .data_model import BackOffice

    validate_against(BackOffice, data, path=path, what="telecom back office")
    ids = {c: {item[COLLECTIONS[c]] for item in data[c]} for c in REQUIRED_FIELDS}
    for line in data["lines"]:
        if line["plan_id"] not in ids["plans"]:
            raise DataError(f"line {line['line_id']} names unknown plan {line['plan_id']!r}", path=path)
        if line.get("device_id") and line["device_id"] not in ids["devices"]:
            raise DataError(f"line {line['line_id']} names unknown device {line['device_id']!r}", path=path)
    for customer in data["customers"]:
        for field, collection in (("line_ids", "lines"), ("bill_ids", "bills")):
            unknown = [x for x in customer[field] if x not in ids[collection]]
            if unknown:
                raise DataError(f"customer {customer['customer_id']} names unknown {collection}: "
                                f"{', '.join(map(str, unknown))}", path=path)
