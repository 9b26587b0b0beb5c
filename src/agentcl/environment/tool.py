"""Tools: typed Python methods whose signature and docstring become an OpenAI function schema."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from ..errors import ToolError

_TOOL_ATTR = "__agentcl_tool_kind__"


class ToolKind(str, Enum):
    READ = "read"  # looks at the database, changes nothing
    WRITE = "write"  # changes the database (replayed for the DB reward)
    GENERIC = "generic"  # touches no database (calculate, transfer)


def tool(kind: ToolKind = ToolKind.READ) -> Callable[[Callable], Callable]:
    """Mark a toolkit method as a tool the model may call."""

    def mark(fn: Callable) -> Callable:
        setattr(fn, _TOOL_ATTR, ToolKind(kind))
        return fn

    return mark


def tool_kind_of(fn: Callable) -> ToolKind | None:
    return getattr(fn, _TOOL_ATTR, None)


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its description and per-argument descriptions."""
    doc = inspect.cleandoc(doc or "")
    sections = re.split(r"^(Args|Arguments|Returns|Raises|Example|Examples):\s*$", doc, flags=re.M)
    description = sections[0].strip()
    args: dict[str, str] = {}
    for header, body in zip(sections[1::2], sections[2::2]):
        if header not in ("Args", "Arguments"):
            continue
        current = None
        for line in body.splitlines():
            m = re.match(r"^\s*(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)$", line)
            if m and (current is None or not line.startswith(" " * 8)):
                current = m.group(1)
                args[current] = m.group(2).strip()
            elif current and line.strip():
                args[current] += " " + line.strip()
    return description, args


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].rsplit("/", 1)[-1]]
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return walk({**target, **extra})
            return {k: walk(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


@dataclass
class Tool:
    """A bound tool: its callable, kind, argument model and OpenAI schema."""

    name: str
    kind: ToolKind
    function: Callable[..., Any]
    description: str
    params_model: type[BaseModel]

    @classmethod
    def from_function(cls, fn: Callable[..., Any], kind: ToolKind, name: str | None = None) -> "Tool":
        name = name or fn.__name__
        description, arg_docs = parse_docstring(fn.__doc__ or "")
        hints = get_type_hints(fn)
        fields: dict[str, Any] = {}
        for pname, param in inspect.signature(fn).parameters.items():
            if pname == "self":
                continue
            annotation = hints.get(pname, Any)
            default = ... if param.default is inspect.Parameter.empty else param.default
            from pydantic import Field

            fields[pname] = (annotation, Field(default, description=arg_docs.get(pname)))
        model = create_model(  # type: ignore[call-overload]
            f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields
        )
        return cls(name=name, kind=kind, function=fn, description=description, params_model=model)

    @property
    def openai_schema(self) -> dict[str, Any]:
        # Inline $refs and drop titles: chat templates and small models read flat schemas best.
        params = _inline_refs(self.params_model.model_json_schema())
        params.setdefault("properties", {})
        params.setdefault("required", [])
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }

    def __call__(self, **arguments: Any) -> Any:
        try:
            parsed = self.params_model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            raise ToolError(f"invalid arguments for {self.name}: {problems}") from None
        values = {k: getattr(parsed, k) for k in type(parsed).model_fields}
        return self.function(**values)
