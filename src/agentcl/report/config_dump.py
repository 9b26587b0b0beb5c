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


RESUME_INVARIANTS = (("training", "seed"), ("curriculum", "eval_trials"))  # (section, field): a resume that
# changes one of these is refused; config.yaml is flat and omits a field left at its default


def _field_default(section: Any, name: str) -> Any:
    for f in dataclasses.fields(section):
        if f.name == name:
            return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return None


def check_resume_settings(run_dir: str | Path, config: Any) -> None:
    """Refuse a resume whose seed or evaluation trials differ from the run's saved config.yaml (the
    results would mix two settings). Raises DataError naming the file and the settings."""
    from ..errors import DataError

    path = Path(run_dir) / layout.CONFIG_YAML
    if not path.is_file():
        return
    try:
        saved = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"cannot read the saved configuration ({exc})", path=path) from None
    if not isinstance(saved, dict):
        raise DataError("the saved configuration is not a mapping", path=path)
    changed = []
    for section_name, name in RESUME_INVARIANTS:
        section = getattr(config, section_name)
        old, new = saved.get(name, _field_default(section, name)), getattr(section, name)
        if old != new:
            changed.append(f"{name} {old!r} -> {new!r}")
    if changed:
        raise DataError(f"--resume with different settings than the run was started with: {'; '.join(changed)}; "
                        "resume with the original values, or start a new --output-dir", path=path)
