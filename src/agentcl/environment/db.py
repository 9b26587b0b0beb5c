"""Databases: plain JSON-like data with fast copies, deep merge and a canonical hash."""

from __future__ import annotations

import hashlib
import json
import marshal
import tomllib
from pathlib import Path
from typing import Any

from ..errors import DataError


def read_data_file(path: str | Path) -> Any:
    """Read a .json or .toml file; errors name the file and the position."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", path=path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"malformed TOML: {exc}", path=path) from None


def deep_merge(base: Any, update: Any) -> Any:
    """Merge `update` into `base` in place (dicts recursively; anything else replaces). Returns base."""
    if isinstance(base, dict) and isinstance(update, dict):
        for key, value in update.items():
            if key in base and isinstance(base[key], dict) and isinstance(value, dict):
                deep_merge(base[key], value)
            else:
                base[key] = marshal.loads(marshal.dumps(value))
        return base
    return update


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class Database:
    """A domain database held as JSON-like data (dicts, lists, str, numbers, bool, None).

    Copies use marshal, several times faster than copy.deepcopy for this kind of data, which
    matters because every conversation (and every gold replay) gets its own copy.
    """

    def __init__(self, data: dict[str, Any], source: str | None = None):
        self.data = data
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> "Database":
        data = read_data_file(path)
        if not isinstance(data, dict):
            raise DataError("a database file must hold an object at the top level", path=path)
        if Path(path).suffix == ".toml":  # TOML dates become strings, as in JSON
            data = json.loads(canonical_json(data))
        return cls(data, source=str(path))

    def copy(self) -> "Database":
        return Database(marshal.loads(marshal.dumps(self.data)), source=self.source)

    def merge(self, update: dict[str, Any]) -> None:
        deep_merge(self.data, update)

    def canonical(self) -> str:
        return canonical_json(self.data)

    def hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def dump(self) -> dict[str, Any]:
        return marshal.loads(marshal.dumps(self.data))


def validate_against(model: type, data: Any, *, path: str | Path | None, what: str) -> Any:
    """Validate `data` against a pydantic `model`; a failure raises DataError naming the file and
    the first bad field by its path (e.g. `tasks.task_1.status`), with how many others are wrong."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        got = first.get("input")
        shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise DataError(f"invalid {what} at {where}: {first['msg']} (got {shown}){more}", path=path) from None
