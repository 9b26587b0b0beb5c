"""The airline domain (14 agent tools): book, change and cancel flight reservations."""

from ..base import DomainSpec
from .data_model import validate_airline_db
from .tools import AirlineTools

DOMAIN = DomainSpec(
    name="airline",
    agent_toolkit=AirlineTools,
    generator="agentcl.domains.airline.generation:generate",
    default_num_tasks=100,
    validate_db=validate_airline_db,
    description="an airline's reservation desk: flights, bookings, changes, cancellations, baggage and compensation",
)
