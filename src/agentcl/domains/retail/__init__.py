"""The retail domain (16 agent tools, no user tools): an online store's users, products and orders."""

from ..base import DomainSpec
from .data_model import validate_db
from .tools import RetailTools

DOMAIN = DomainSpec(
    name="retail",
    agent_toolkit=RetailTools,
    generator="agentcl.domains.retail.generation:generate",
    default_num_tasks=100,
    validate_db=validate_db,
    description="an online store: cancel or modify pending orders, return or exchange delivered items, "
    "change addresses and payment methods",
)

__all__ = ["DOMAIN", "RetailTools"]
