"""Pydantic model of the telecom back office (the agent's DB), used only to VALIDATE a loaded file.

It types the fields the tools read (strictly: `12345` is not a line status, `"yes"` is not a
bool); other fields are allowed as they are. `validate_back_office` runs it after checking that
every collection and required field is present, and before checking the cross references.
"""

from __future__ import annotations

from typing import Union

from pydantic import BaseModel, ConfigDict

Number = Union[int, float]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Plan(_Model):
    plan_id: str
    name: str
    data_limit_gb: Number
    price_per_month: Number
    data_refueling_price_per_gb: Number


class Device(_Model):
    device_id: str


class Line(_Model):
    line_id: str
    phone_number: str
    status: str
    plan_id: str
    device_id: str | None = None
    data_used_gb: Number
    data_refueling_gb: Number
    roaming_enabled: bool


class Customer(_Model):
    customer_id: str
    full_name: str
    line_ids: list[str]
    bill_ids: list[str]


class Bill(_Model):
    bill_id: str
    customer_id: str
    total_due: Number
    status: str


class BackOffice(_Model):
    plans: list[Plan]
    devices: list[Device]
    lines: list[Line]
    customers: list[Customer]
    bills: list[Bill]
