"""Tools, toolkits, databases and the per-conversation environment."""

from .db import Database, canonical_json, deep_merge, read_data_file, validate_against
from .environment import Environment, render_tool_output
from .tool import Tool, ToolKind, parse_docstring, tool
from .toolkit import Toolkit

__all__ = [
    "validate_against",
    "Database", "Environment", "Tool", "ToolKind", "Toolkit", "canonical_json", "deep_merge",
    "parse_docstring", "read_data_file", "render_tool_output", "tool",
]
