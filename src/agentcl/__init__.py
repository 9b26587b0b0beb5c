"""agentcl: GRPO training of tool-using customer-service agents on τ²-bench-style domains."""

__version__ = "0.1.0"
