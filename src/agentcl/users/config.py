"""User-simulator configuration: one dataclass, its command-line flags, and its endpoints.

Where an OpenAI-compatible endpoint comes from, in order:
  --user-endpoints FILE (YAML/JSON list of endpoints, several balanced and failed over), else
  --openai-api-base (repeatable, or comma-separated) / $OPENAI_API_BASE with
  --openai-api-key / --openai-api-key-file / $OPENAI_API_KEY and --openai-model.
The key is held in a `Secret`: printing or saving the config shows a mask.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..errors import AgentclError
from ..llm.client import Endpoint
from ..secrets import MASK, KeyFileError, Secret, check_key_sources, read_key_file, resolve_secret

DEFAULT_USER_TYPE = "openai_user_simulator"
DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class UserConfigError(AgentclError):
    """The user-simulator settings are incomplete or contradictory."""


@dataclass
class UserSimulatorConfig:
    user_type: str = DEFAULT_USER_TYPE
    # litellm simulators
    model: str | None = None  # openai_user_simulator: a model name on the relay; user_simulator: a litellm string
    api_base: list[str] = field(default_factory=list)
    api_key: Secret = field(default_factory=lambda: Secret(None))
    api_key_file: str | None = None
    endpoints_file: str | None = None
    temperature: float = 0.0
    max_concurrency: int = 32  # user turns in flight, all endpoints together
    endpoint_max_concurrency: int | None = None  # per endpoint (flags); a file may set it per endpoint
    rpm: int | None = None  # per endpoint (flags)
    timeout: float = 60.0  # seconds per request
    num_retries: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    cooldown: float = 5.0  # seconds an endpoint that keeps failing is left out
    max_tool_rounds: int = 4  # user tool calls per user turn before the simulator must speak
    price_per_mtok: list[float] | None = None  # [$ per million prompt tokens, completion]; None: litellm's price list
    # hf_user_simulator
    hf_model: str | None = None  # a local directory (no hub downloads at run time)
    hf_device: str = "auto"
    load_in_4bit: bool = False
    max_new_tokens: int = 256
    hf_batch_size: int | None = None  # conversations per generate(); None = all in one batch
    # everyone
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, Secret):
            self.api_key = Secret(self.api_key)
        if isinstance(self.api_base, str):
            self.api_base = _split_bases([self.api_base])

    # -- endpoints -------------------------------------------------------------------------
    def litellm_model(self, default: str = DEFAULT_OPENAI_MODEL, provider: str = "openai") -> str:
        """The model as litellm names it: OpenAI-compatible names get the "openai/" prefix."""
        model = self.model or default
        if provider == "openai" and not model.startswith("openai/"):
            model = f"openai/{model}"
        return model

    def endpoints(self, provider: str = "openai") -> list[Endpoint]:
        """The endpoints to use; raises UserConfigError naming the flags when none is configured."""
        if self.endpoints_file:
            default_model = self.litellm_model() if provider == "openai" else (self.model or "")
            return load_endpoints_file(self.endpoints_file, default_model=default_model, defaults=self)
        key = self.api_key if self.api_key else resolve_secret(None, "OPENAI_API_KEY" if provider == "openai" else None,
                                                               self.api_key_file)
        bases = list(self.api_base)
        if not bases and provider == "openai":
            bases = _split_bases([os.environ.get("OPENAI_API_BASE", "")])
        if provider == "openai":
            if not bases and not key:
                raise UserConfigError(
                    f"the {self.user_type} user simulator has no endpoint: pass --openai-api-base URL and/or "
                    "--openai-api-key / --openai-api-key-file (or set OPENAI_API_BASE / OPENAI_API_KEY), or "
                    "--user-endpoints FILE; for an offline run use --user-type scripted or start the local relay "
                    "(python -m agentcl.relay --port 8765) and pass --openai-api-base http://127.0.0.1:8765/v1")
            bases = bases or [OPENAI_DEFAULT_BASE]
        model = self.litellm_model(provider=provider) if provider == "openai" else (self.model or "")
        if not model:
            raise UserConfigError("the user_simulator user type needs --user-model (any litellm model string)")
        targets = bases or [None]
        return [Endpoint(model, api_base=b, api_key=key, max_concurrency=self.endpoint_max_concurrency, rpm=self.rpm)
                for b in targets]

    # -- saving ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain values for config.yaml: the key is a mask (or None), never the value."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret):
                value = MASK if value else None
            elif isinstance(value, list):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "UserSimulatorConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserConfigError(f"unknown user-simulator settings: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = dict(data)
        if values.get("api_key") == MASK:  # a saved config holds no key: resolve it again at run time
            values["api_key"] = None
        return cls(**values)


def _split_bases(values: list[str]) -> list[str]:
    out = []
    for value in values:
        out += [part.strip() for part in (value or "").split(",") if part.strip()]
    return out


def load_endpoints_file(path: str | Path, default_model: str, defaults: UserSimulatorConfig | None = None) -> list[Endpoint]:
    """Endpoints from YAML or JSON: a list, or {"endpoints": [...]}. Each item may give
    api_base, model, api_key_env / api_key_file (preferred) or api_key, max_concurrency, rpm, weight."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserConfigError(f"endpoints file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UserConfigError(f"endpoints file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None
    items = raw.get("endpoints") if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not items:
        raise UserConfigError(f"endpoints file {path} must hold a non-empty list of endpoints (or 'endpoints: [...]')")
    allowed = {"api_base", "model", "api_key", "api_key_env", "api_key_file", "max_concurrency", "rpm", "weight",
               "extra_params"}
    endpoints = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"api_base": item}
        if not isinstance(item, dict):
            raise UserConfigError(f"endpoints file {path}: item {i} must be a mapping or a URL")
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise UserConfigError(f"endpoints file {path}: item {i} has unknown keys {unknown}; allowed: {sorted(allowed)}")
        try:
            key = resolve_secret(item.get("api_key"), item.get("api_key_env"), item.get("api_key_file"))
        except (FileNotFoundError, KeyFileError) as exc:
            raise UserConfigError(f"endpoints file {path}: item {i}: {exc}") from None
        if not key and defaults is not None:
            key = defaults.api_key or resolve_secret(None, None, defaults.api_key_file)
        model = str(item.get("model") or default_model)
        if not model:
            raise UserConfigError(f"endpoints file {path}: item {i} names no model and no default model is set")
        if "/" not in model:
            model = f"openai/{model}"
        endpoints.append(Endpoint(
            model, api_base=item.get("api_base"), api_key=key,
            max_concurrency=item.get("max_concurrency", defaults.endpoint_max_concurrency if defaults else None),
            rpm=item.get("rpm", defaults.rpm if defaults else None), weight=float(item.get("weight", 1.0)),
            extra_params=dict(item.get("extra_params") or {})))
    return endpoints


# ---------------------------------------------------------------------------------------------
# flags
# ---------------------------------------------------------------------------------------------

def _flag(default: Any = None, help: str = "", **extra: Any) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help, **extra})
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class UserArgs:
    """The user-simulator flags of a run (also the flat YAML keys of the same names).

    One field per flag, parsed by the run's TrlParser; `from_args` turns them into a
    `UserSimulatorConfig` (resolving the key from flag, key file or environment).
    """

    user_type: str = _flag(DEFAULT_USER_TYPE, "openai_user_simulator, user_simulator, hf_user_simulator (the "
                           "local-model rollback) or scripted (offline)")
    openai_api_base: list[str] | None = _flag(None, "OpenAI-compatible base URL(s), space- or comma-separated "
                                              "(or $OPENAI_API_BASE)")
    openai_api_key: str | None = _flag(None, "API key (prefer --openai-api-key-file or $OPENAI_API_KEY; never "
                                       "read from a config file)")
    openai_api_key_file: str | None = _flag(None, "file holding the API key")
    openai_model: str | None = _flag(None, f"model name on the endpoint (default {DEFAULT_OPENAI_MODEL})")
    user_model: str | None = _flag(None, "user_simulator: any litellm model string; hf_user_simulator: a local "
                                   "model directory")
    user_endpoints: str | None = _flag(None, "YAML/JSON list of endpoints")
    user_temperature: float = _flag(0.0, "user simulator sampling temperature")
    user_max_concurrency: int = _flag(32, "user turns in flight, all endpoints together")
    user_endpoint_max_concurrency: int | None = _flag(None, "requests in flight per endpoint")
    user_rpm: int | None = _flag(None, "requests per minute per endpoint")
    user_timeout: float = _flag(60.0, "seconds per request")
    user_num_retries: int = _flag(6, "retries of a failed request (429, 5xx, timeouts)")
    user_load_in_4bit: bool = _flag(False, "hf_user_simulator: 4-bit weights (bitsandbytes)")
    user_device: str = _flag("auto", "hf_user_simulator: cpu, cuda, cuda:1 or auto")
    user_max_new_tokens: int = _flag(256, "token limit of one simulated user turn")
    user_price_per_mtok: str | None = _flag(None, "IN,OUT: dollars per million prompt and completion tokens of the "
                                            "user simulator's model (for models litellm has no price for, e.g. on a "
                                            "relay); default: litellm's price list")


SECRET_FLAGS = ("openai_api_key",)  # never from a config file


def parse_user_flags(argv: list[str]) -> UserSimulatorConfig:
    """A config from user-simulator flags alone (tests, tools)."""
    from transformers import HfArgumentParser

    (args,) = HfArgumentParser(UserArgs).parse_args_into_dataclasses(args=list(argv))
    return from_args(args)


def from_args(ns: Any, seed: int | None = None) -> UserSimulatorConfig:
    """A config from parsed flags (a `UserArgs`, or any object with its attributes)."""
    try:
        key = resolve_secret(ns.openai_api_key, None, None)
    except FileNotFoundError as exc:  # pragma: no cover - resolve_secret only reads files when given one
        raise UserConfigError(str(exc)) from None
    check_key_sources(ns.openai_api_key, ns.openai_api_key_file, "--openai-api-key", "--openai-api-key-file")
    if ns.openai_api_key_file:  # read now so that a missing or empty file stops the run at once
        try:
            read_key_file(ns.openai_api_key_file)
        except FileNotFoundError:
            raise UserConfigError(f"API key file not found: {ns.openai_api_key_file}") from None
    # --user-model serves both meanings (a litellm model string, a local model directory); each
    # simulator reads its own field, so a user type chosen later (e.g. from a YAML file) still works
    model = ns.user_model or ns.openai_model
    hf_model = ns.user_model
    from ..llm.usage import PriceError, parse_price_per_mtok

    try:
        price = parse_price_per_mtok(getattr(ns, "user_price_per_mtok", None), "--user-price-per-mtok")
    except PriceError as exc:
        raise UserConfigError(str(exc)) from None
    return UserSimulatorConfig(
        user_type=ns.user_type, model=model, api_base=_split_bases(ns.openai_api_base or []), api_key=key,
        api_key_file=ns.openai_api_key_file, endpoints_file=ns.user_endpoints, temperature=ns.user_temperature,
        max_concurrency=ns.user_max_concurrency, endpoint_max_concurrency=ns.user_endpoint_max_concurrency,
        rpm=ns.user_rpm, timeout=ns.user_timeout, num_retries=ns.user_num_retries, hf_model=hf_model,
        hf_device=ns.user_device, load_in_4bit=ns.user_load_in_4bit, max_new_tokens=ns.user_max_new_tokens,
        price_per_mtok=list(price) if price else None, seed=seed if seed is not None else 0)
