"""The judge's HTTP client: the project's shared `LLMClient` (agentcl.llm.client), judge-configured.

The shared client does the HTTP work: a litellm Router over the endpoints, retries of 429 / 5xx /
timeouts / malformed answers with backoff, a per-request timeout, rate pacing, and errors that
never quote a key. The dispatcher passes `client.complete` as its completion function; the
`Completion` it returns carries the attempts made, which the dispatcher counts as retries.

Endpoints: the judge's own (--judge-api-base / --judge-api-key[-file] / $AGENTCL_JUDGE_API_KEY),
else the user simulator's (its --openai-api-base, key, or --user-endpoints file), always with the
judge's own model.
"""

from __future__ import annotations

import logging
from typing import Any

from ...secrets import Secret
from ...llm.client import Endpoint, LLMClient
from .config import JudgeConfig, JudgeConfigError

log = logging.getLogger(__name__)


def litellm_model_name(model: str, api_bases: list[str] | None) -> str:
    """An OpenAI-compatible endpoint needs litellm's "openai/" prefix on a bare model name."""
    if api_bases and "/" not in model:
        return f"openai/{model}"
    return model


def _user_endpoints(user_config: Any) -> list[Endpoint]:
    """The user simulator's endpoints, resolved as the user simulator resolves them; [] if none."""
    endpoints = getattr(user_config, "endpoints", None)
    if not callable(endpoints):
        return []
    try:
        return list(endpoints())
    except Exception as exc:  # no endpoint configured for the user side (e.g. a scripted user)
        log.debug("judge does not inherit the user simulator's endpoint: %s", exc)
        return []


def judge_endpoints(config: JudgeConfig, user_config: Any = None) -> list[Endpoint]:
    """The endpoints the judge calls (see the module docstring for the order)."""
    if not config.model:
        raise JudgeConfigError("an LLM judge needs --judge-model")
    bases, key = config.endpoint(user_config)
    if not bases:
        inherited = _user_endpoints(user_config)
        if inherited:
            model = litellm_model_name(config.model, [e.api_base for e in inherited if e.api_base])
            return [Endpoint(model, api_base=e.api_base, api_key=key if key else e.api_key) for e in inherited]
    model = litellm_model_name(config.model, bases)
    return [Endpoint(model, api_base=base, api_key=key) for base in (bases or [None])]


def make_judge_client(config: JudgeConfig, user_config: Any = None) -> LLMClient:
    return LLMClient(judge_endpoints(config, user_config), name="judge", max_concurrency=config.max_concurrency,
                     num_retries=config.num_retries, timeout_s=config.timeout_s,
                     price_per_mtok=tuple(config.price_per_mtok) if config.price_per_mtok else None)


def relay_judge_client(base_url: str, *, api_key: str | None = None, max_concurrency: int = 32,
                       num_retries: int = 3, timeout_s: float = 30.0, backoff_base_s: float = 0.5,
                       model: str = "judge") -> LLMClient:
    """A client for the offline judge on the local relay (tests, benchmarks, demos)."""
    return LLMClient([Endpoint(litellm_model_name(model, [base_url]), api_base=base_url, api_key=Secret(api_key))],
                     name="judge", max_concurrency=max_concurrency, num_retries=num_retries, timeout_s=timeout_s,
                     backoff_base_s=backoff_base_s)
