"""API usage of one call, one conversation, one run: tokens, calls and dollars.

Every answer of the shared `LLMClient` carries a usage dict with the keys of `USAGE_KEYS`:
`calls` (1), `prompt_tokens`, `completion_tokens` and `cost_usd` — the price the user gave
(`--user-price-per-mtok IN,OUT`, `--judge-price-per-mtok IN,OUT`: dollars per million prompt and
completion tokens) when given, else litellm's own cost calculation when it knows the model, else 0.

Conversations collect these dicts by source (`{"user": {...}, "judge": {...}}`):
- the rollout engine adds each user-simulator turn's usage (`add_usage`);
- judge requests are submitted inside `charged_to(bucket)`: the dispatcher remembers the bucket of
  each request (`current_bucket()`) and adds the answer's usage to it when the answer arrives, so a
  conversation's judge spend lands on that conversation whichever thread or loop runs the call.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, MutableMapping

from ..errors import AgentclError

USAGE_KEYS = ("calls", "prompt_tokens", "completion_tokens", "cost_usd")

_BUCKET: contextvars.ContextVar[MutableMapping[str, float] | None] = contextvars.ContextVar("agentcl_usage_bucket",
                                                                                             default=None)


class PriceError(AgentclError, ValueError):
    """A --*-price-per-mtok value that is not two non-negative numbers."""


def parse_price_per_mtok(value: Any, flag: str) -> tuple[float, float] | None:
    """`"IN,OUT"` (or a two-item list) -> (dollars per million prompt tokens, per million completion tokens)."""
    if value is None or value == "" or value == []:
        return None
    parts = value if isinstance(value, (list, tuple)) else str(value).replace(" ", ",").split(",")
    parts = [p for p in (str(x).strip() for x in parts) if p]
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        numbers = ()
    if len(numbers) != 2 or any(n < 0 for n in numbers):
        raise PriceError(f"{flag} takes two non-negative numbers IN,OUT (dollars per million prompt and completion "
                         f"tokens), e.g. 0.4,1.6; got {value!r}")
    return numbers  # type: ignore[return-value]


def cost_usd(prompt_tokens: int, completion_tokens: int, price_per_mtok: tuple[float, float]) -> float:
    return (prompt_tokens * price_per_mtok[0] + completion_tokens * price_per_mtok[1]) / 1e6


def add_usage(bucket: MutableMapping[str, float], usage: Mapping[str, Any] | None) -> MutableMapping[str, float]:
    """Add every numeric entry of `usage` into `bucket` (in place); returns `bucket`."""
    for key, value in (usage or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bucket[key] = bucket.get(key, 0) + value
    return bucket


@contextmanager
def charged_to(bucket: MutableMapping[str, float] | None) -> Iterator[None]:
    """API requests submitted inside (judge requests) are charged to `bucket`."""
    token = _BUCKET.set(bucket)
    try:
        yield
    finally:
        _BUCKET.reset(token)


def current_bucket() -> MutableMapping[str, float] | None:
    return _BUCKET.get()
