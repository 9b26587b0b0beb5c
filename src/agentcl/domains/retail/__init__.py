"""The retail domain (16 agent tools, no user tools): an online store's users, products and orders."""

from ..base import DomainSpec
from .data_model import validate_db
from .generate import DEFAULT_NUM_TASKS, generate
from .tools import RetailTools

DOMAIN = DomainSpec(
    name="retail",
    agent_toolkit=RetailTools,
    generate=generate,
    default_num_tasks=DEFAULT_NUM_TASKS,
    validate_db=validate_db,
    description="an online store: cancel or modify pending orders, return or exchange delivered items, "
    "change addresses and payment methods",
)

__all__ = ["DOMAIN", "RetailTools", "generate"]
