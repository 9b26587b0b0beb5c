"""The one registry: names -> domains and user simulators (judges register here too).

Built-ins are listed as import paths and loaded on first use, so importing the registry is cheap
and a domain's module only loads when that domain is asked for. Unknown names fail with the
list of known ones.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, builtins: dict[str, str]):
        self.kind = kind
        self._lazy = dict(builtins)  # name -> "module:attribute"
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        self._items[name] = item
        self._lazy.pop(name, None)
        return item

    def names(self) -> list[str]:
        return sorted(set(self._items) | set(self._lazy))

    def get(self, name: str) -> T:
        if name in self._items:
            return self._items[name]
        if name not in self._lazy:
            raise UnknownNameError(self.kind, name, self.names())
        module_name, attr = self._lazy[name].split(":")
        item = getattr(importlib.import_module(module_name), attr)
        return self.register(name, item)

    def __contains__(self, name: str) -> bool:
        return name in self._items or name in self._lazy


DOMAINS: Registry[Any] = Registry(
    "domain",
    {
        "mock": "agentcl.domains.mock:DOMAIN",
        "airline": "agentcl.domains.airline:DOMAIN",
        "retail": "agentcl.domains.retail:DOMAIN",
        "telecom": "agentcl.domains.telecom:DOMAIN",
    },
)

USER_SIMULATORS: Registry[Any] = Registry(
    "user simulator",
    {
        "openai_user_simulator": "agentcl.users.litellm_user:OpenAIUserSimulator",
        "user_simulator": "agentcl.users.litellm_user:LiteLLMUserSimulator",
        "hf_user_simulator": "agentcl.users.hf_user:HFUserSimulator",
        "scripted": "agentcl.users.scripted:ScriptedUserSimulator",
    },
)


def get_domain(name: str):
    """The DomainSpec registered under `name`."""
    return DOMAINS.get(name)


def load_domain(name: str, data_dir: str | Path | None = None):
    """Load a domain's data (default: the generated data shipped with the package)."""
    from .domains.base import load_domain_data

    return load_domain_data(get_domain(name), data_dir)


def get_user_simulator_class(name: str):
    return USER_SIMULATORS.get(name)
