"""User simulators: the interface (base), their configuration, and a factory over the registry.

    config = parse_user_flags(["--user-type", "scripted"])   # or UserSimulatorConfig(user_type=..., ...)
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
from .config import UserArgs, UserConfigError, UserSimulatorConfig, from_args, parse_user_flags


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
    "UserArgs", "UserSimulatorConfig", "UserTurn", "from_args", "is_stop", "make_user_simulator", "parse_user_flags",
    "visible_to_user",
]
