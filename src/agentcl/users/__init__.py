"""User simulators: the interface (base), their configuration, and a factory over the registry.

    config = from_args(parser.parse_args())          # or UserSimulatorConfig(user_type=..., ...)
    simulator = make_user_simulator(config)           # registry name -> class.from_config(config)
    turns = await simulator.respond_batch(conversations)

Built-in names (agentcl.registry.USER_SIMULATORS): openai_user_simulator, user_simulator,
hf_user_simulator, scripted. Importing this package does not import litellm or torch.
"""

from __future__ import annotations

from .base import (
    OUT_OF_SCOPE,
    STOP,
    STOP_TOKENS,
    TRANSFER,
    UserConversation,
    UserSimulator,
    UserTurn,
    is_stop,
    visible_to_user,
)
from .config import UserConfigError, UserSimulatorConfig, add_user_args, from_args


def make_user_simulator(config: UserSimulatorConfig) -> UserSimulator:
    """The simulator registered as `config.user_type`, built from `config`.

    Unknown names raise UnknownNameError listing the known ones; a registered class without
    `from_config(config)` is called with no arguments.
    """
    from ..registry import USER_SIMULATORS

    cls = USER_SIMULATORS.get(config.user_type)
    if hasattr(cls, "from_config"):
        return cls.from_config(config)
    return cls()


__all__ = [
    "OUT_OF_SCOPE", "STOP", "STOP_TOKENS", "TRANSFER", "UserConfigError", "UserConversation", "UserSimulator",
    "UserSimulatorConfig", "UserTurn", "add_user_args", "from_args", "is_stop", "make_user_simulator",
    "visible_to_user",
]
