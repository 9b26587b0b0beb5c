"""The telecom domain (dual control): the agent works the carrier's back office (13 tools), the user
works a simulated phone (30 tools), and the sync step carries facts between them after every call."""

from ..base import DomainSpec
from .backoffice import validate_back_office
from .sync import sync
from .tools import TelecomAgentTools
from .user_tools import TelecomUserTools

DOMAIN = DomainSpec(
    name="telecom",
    agent_toolkit=TelecomAgentTools,
    user_toolkit=TelecomUserTools,
    policy_files=("main_policy.md", "tech_support_manual.md"),
    task_files=("tasks.json", "tasks_small.json"),
    sync=sync,
    generator="agentcl.domains.telecom.generation:generate",
    default_num_tasks=100,
    validate_db=validate_back_office,
    description="mobile carrier tech support: back office for the agent, a simulated phone for the user",
)
