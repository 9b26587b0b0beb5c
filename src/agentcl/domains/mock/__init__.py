"""The mock domain (4 agent tools, 2 user tools): the smallest domain, for tests and the demo."""

from ..base import DomainSpec
from .data_model import validate_mock_db, validate_mock_user_db
from .tools import MockAgentTools, MockUserTools

DOMAIN = DomainSpec(
    name="mock",
    agent_toolkit=MockAgentTools,
    user_toolkit=MockUserTools,
    generator="agentcl.domains.mock.generation:generate",
    default_num_tasks=40,
    description="a task tracker with a notification inbox",
    validate_db=validate_mock_db,
    validate_user_db=validate_mock_user_db,
)
