"""A Toolkit: a database plus the tools (marked methods) that act on it."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, ClassVar

from ..errors import ToolError
from .db import Database
from .tool import Tool, ToolKind, tool_kind_of


_TOOL_SPECS: dict[type, dict[str, Tool]] = {}


def _class_tool_specs(cls: type) -> dict[str, Tool]:
    """The tools of a Toolkit class, built from its (unbound) methods on first use."""
    specs = _TOOL_SPECS.get(cls)
    if specs is None:
        specs = {}
        for attr, member in inspect.getmembers(cls):
            kind = tool_kind_of(member) if callable(member) else None
            if kind is not None:
                specs[attr] = Tool.from_function(member, kind, name=attr)
        _TOOL_SPECS[cls] = specs
    return specs


class Toolkit:
    """Subclass per domain side (agent tools, user tools); mark tool methods with @tool(kind).

    Methods that are not tools but are named by tasks (assertions such as `assert_task_status`,
    set-up functions such as `set_user_info`) are plain public methods; `call_function` reaches
    both kinds, `call_tool` only tools.
    """

    name: ClassVar[str] = "toolkit"

    def __init__(self, db: Database):
        self.db = db
        # Argument models are built once per class (pydantic model creation costs ~1 ms per tool)
        # and bound to this instance, because every conversation and gold replay builds toolkits.
        self._tools: dict[str, Tool] = {
            name: dataclasses.replace(spec, function=getattr(self, name))
            for name, spec in _class_tool_specs(type(self)).items()
        }

    @property
    def data(self) -> dict[str, Any]:
        return self.db.data

    @property
    def tools(self) -> dict[str, Tool]:
        return self._tools

    @classmethod
    def tool_names(cls) -> list[str]:
        return sorted(a for a, m in inspect.getmembers(cls) if callable(m) and tool_kind_of(m) is not None)

    def has_tool(self, name: str) -> bool:
        return name in self._tools

    def tool_kind(self, name: str) -> ToolKind:
        return self._tools[name].kind

    def schemas(self) -> list[dict[str, Any]]:
        return [self._tools[n].openai_schema for n in sorted(self._tools)]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        if name not in self._tools:
            raise ToolError(f"unknown tool {name!r}; available tools: {', '.join(sorted(self._tools))}")
        return self._tools[name](**arguments)

    def has_function(self, name: str) -> bool:
        return name in self._tools or (not name.startswith("_") and callable(getattr(self, name, None)))

    def call_function(self, name: str, arguments: dict[str, Any]) -> Any:
        """Call a tool or a helper (assertion, set-up) by name, as tasks' env functions do."""
        if name in self._tools:
            return self._tools[name](**arguments)
        if not self.has_function(name):
            raise ToolError(f"unknown function {name!r} on {self.name}")
        return getattr(self, name)(**arguments)
