"""Save a run's configuration as YAML with every secret masked.

Masked: `Secret` objects, values of keys that name a credential (api_key, token, password,
secret, ...), and any registered key or key-shaped text inside other strings
(`agentcl.secrets.redact`).
"""

from __future__ import annotations

import dataclasses
import enum
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..secrets import MASK, Secret, redact
from . import layout
from .journal import atomic_write_text

_SECRET_KEY = re.compile(r"(api[_-]?key|secret|password|passwd|credential|(^|[_-])token$)", re.IGNORECASE)
# not credentials: a tokenizer's special tokens, and where a key is found (a file, an env var)
_NOT_SECRET_KEY = re.compile(
    r"(^(pad|eos|bos|unk|sep|cls|mask|special)[_-]token$|[_-](file|path|env|env[_-]var|var)$)", re.IGNORECASE
)


def is_secret_key(key: str) -> bool:
    """Does a config key name a credential (api_key, hf_token, password...)?"""
    return bool(_SECRET_KEY.search(key)) and not _NOT_SECRET_KEY.search(key)


def redact_config(value: Any, key: str = "") -> Any:
    """A plain YAML-safe copy of `value` (dicts, dataclasses, lists, ...) with secrets masked."""
    if isinstance(value, Secret):
        return MASK if value else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif hasattr(value, "model_dump") and callable(value.model_dump):  # pydantic models
        value = value.model_dump()
    if isinstance(value, Mapping):
        return {str(k): redact_config(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [redact_config(v, key) for v in items]
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return MASK if value and is_secret_key(key) else redact(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value))


def write_config_yaml(run_dir_or_file: str | Path, config: Any) -> Path:
    """Write `config` (a dict or dataclass tree) as YAML, secrets masked, atomically.

    A directory argument writes `<dir>/config.yaml`.
    """
    path = Path(run_dir_or_file)
    if path.suffix not in (".yaml", ".yml"):
        path = path / layout.CONFIG_YAML
    text = yaml.safe_dump(redact_config(config), sort_keys=False, allow_unicode=True)
    return atomic_write_text(path, redact(text))
