"""Local OpenAI-compatible relay: the scripted user and the offline judge over HTTP, with faults.

Run it with `python -m agentcl.relay --port 8765`, or in-process with `RelayServer(...).start()`.
"""

from .faults import FaultConfig
from .server import RelayApp, RelayServer

__all__ = ["FaultConfig", "RelayApp", "RelayServer"]
