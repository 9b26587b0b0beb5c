"""Models for tests, the demo and benchmarks: the offline tiny Qwen3-format agent.

Real checkpoints (Qwen/Qwen3-4B-Instruct-2507, Qwen/Qwen3-0.6B) are loaded by name elsewhere; the
tiny agent is built locally from domain text and never touches the hub.
"""

from .chat_template import CHAT_TEMPLATE
from .tiny import (
    build_tiny_model,
    build_tiny_tokenizer,
    default_tiny_agent_dir,
    ensure_tiny_agent,
    load_tiny_agent,
    save_tiny_agent,
)

__all__ = [
    "CHAT_TEMPLATE",
    "build_tiny_model",
    "build_tiny_tokenizer",
    "default_tiny_agent_dir",
    "ensure_tiny_agent",
    "load_tiny_agent",
    "save_tiny_agent",
]
