"""An async chat-completion client over litellm's Router, shared by the user simulators and judges.

    client = LLMClient([Endpoint("openai/gpt-4.1-mini", api_base=..., api_key=Secret(...))],
                       name="user simulator", max_concurrency=32, num_retries=6)
    completion = await client.complete(messages, tools=tools, temperature=0.0)
    completion.content, completion.tool_calls, completion.usage   # usage: agentcl.llm.usage.USAGE_KEYS

Who does what:
- litellm's Router holds one deployment per endpoint in one model group, spreads requests over
  them (weighted shuffle: `weight`, or `rpm` when given), and puts an endpoint that keeps failing
  (down, refusing connections) in a cooldown so the next tries go to the others. It does not retry
  by itself (num_retries=0): this client's loop below is the project's one retry mechanism (the
  judge dispatcher has none). The Router's retry policy does not serve because (litellm 1.110)
  its backoff is a process-wide module constant (INITIAL_RETRY_DELAY 0.5 s doubling to
  MAX_RETRY_DELAY 8 s, read from the environment at import: no per-client setting, so user
  simulator and judge, runs and tests, would share it); it sleeps inside `Router.acompletion`, so
  the caller's concurrency slot and rate pacing cannot be released or applied between attempts;
  and its attempts are only visible through a response header. Measured by
  `bench/retry_backoff.py` (one call, 3 retries, always-503 endpoint): Router 10.05 s, this loop
  0.59 s with the fault tests' 0.01 s base (16.9x).
- This client caps the requests in flight (`max_concurrency`; each endpoint's own
  `max_concurrency` is enforced by litellm as `max_parallel_requests`), paces requests to the sum of
  the endpoints' `rpm`, and retries 429s, 5xx, timeouts, connection errors and malformed answers
  with exponential backoff and jitter, up to `num_retries` times. Waiting for a cooldown or for a
  free slot on a full endpoint is not an attempt (no request was sent), but it counts against the
  overall deadline.
- Errors name the endpoint(s) by model and base URL, never the key: `LLMUnavailableError` once the
  retry budget is spent, `LLMRequestError` for answers no retry can fix (401, 400, 404).

litellm is imported on first use: importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..data_model import ToolCall
from ..errors import AgentclError
from ..secrets import MASK, Secret, install_log_redaction, redact
from .usage import cost_usd

log = logging.getLogger("agentcl.llm")

# litellm's openai client refuses to start without some key; local relays accept any.
PLACEHOLDER_KEY = "no-key-needed"


class LLMError(AgentclError):
    """A chat completion failed; the message names the endpoint(s) and never holds a key."""


class LLMUnavailableError(LLMError):
    """Every attempt failed with a transient error (429, 5xx, timeout, connection) until the budget ran out."""


class LLMRequestError(LLMError):
    """The endpoint refused the request in a way a retry cannot fix (bad key, bad request, unknown model)."""


class EmptyResponseError(RuntimeError):
    """A 200 answer with no choices (retried like a malformed body)."""


@dataclass
class Endpoint:
    """One OpenAI-compatible (or any litellm-supported) endpoint."""

    model: str  # litellm model string: "openai/<name>" for OpenAI-compatible servers
    api_base: str | None = None
    api_key: Secret = field(default_factory=lambda: Secret(None))
    max_concurrency: int | None = None  # requests in flight on this endpoint
    rpm: int | None = None  # requests per minute on this endpoint
    weight: float = 1.0  # share of the traffic when no rpm is given
    extra_params: dict[str, Any] = field(default_factory=dict)  # more litellm params (api_version, ...)

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, Secret):
            self.api_key = Secret(self.api_key)
        if not self.model:
            raise ValueError("an endpoint needs a model name")
        for name in ("max_concurrency", "rpm"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"endpoint {self.describe()}: {name} must be at least 1, got {value}")

    def describe(self) -> str:
        """How errors and logs name the endpoint (no key)."""
        return f"{self.model} @ {self.api_base or 'the provider default URL'}"

    def litellm_params(self) -> dict[str, Any]:
        """model, api_base, api_key (the real one: only for the call) and extra params, as litellm takes them."""
        params: dict[str, Any] = {"model": self.model, **self.extra_params}
        if self.api_base:
            params["api_base"] = self.api_base
        key = self.api_key.get() or (PLACEHOLDER_KEY if self.api_base else None)
        if key:
            params["api_key"] = key
        return params

    def to_dict(self) -> dict[str, Any]:
        """For saved configs: the key shows as a mask."""
        return {"model": self.model, "api_base": self.api_base, "api_key": MASK if self.api_key else None,
                "max_concurrency": self.max_concurrency, "rpm": self.rpm, "weight": self.weight,
                **({"extra_params": dict(self.extra_params)} if self.extra_params else {})}


@dataclass
class Completion:
    content: str | None
    tool_calls: list[ToolCall]
    usage: dict[str, Any]
    model: str
    finish_reason: str | None
    attempts: int  # requests sent for this completion (1 = no retry)


@dataclass
class ClientStats:
    completions: int = 0
    requests: int = 0  # attempts sent
    retries: int = 0
    failures: int = 0  # completions that raised
    waits: int = 0  # cooldown / full-endpoint waits (no request sent)
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _import_litellm():
    import litellm  # slow import (~3 s): only when a client is really built

    litellm.suppress_debug_info = True  # no "Give Feedback" banners on stdout
    return litellm


def build_router(endpoints: list[Endpoint], *, group: str = "agentcl", timeout_s: float = 60.0,
                 cooldown_s: float = 5.0):
    """A litellm Router with one deployment per endpoint in model group `group`.

    Deployment ids are f"{group}-{index}" so a failure can be traced back to its endpoint.
    """
    if not endpoints:
        raise ValueError("build_router needs at least one endpoint")
    litellm = _import_litellm()
    model_list = []
    for i, ep in enumerate(endpoints):
        params = ep.litellm_params()
        if ep.max_concurrency:
            params["max_parallel_requests"] = ep.max_concurrency
        if ep.rpm:
            params["rpm"] = ep.rpm  # a routing weight for the shuffle; the client does the pacing
        else:
            params["weight"] = ep.weight
        model_list.append({"model_name": group, "litellm_params": params, "model_info": {"id": f"{group}-{i}"}})
    return litellm.Router(model_list=model_list, num_retries=0, timeout=timeout_s, cooldown_time=cooldown_s,
                          routing_strategy="simple-shuffle")


class _RateLimiter:
    """At most `rpm` starts in any 60-second window (a sliding window of start times)."""

    def __init__(self, rpm: int):
        self.rpm = rpm
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= 60.0:
                    self._starts.popleft()
                if len(self._starts) < self.rpm:
                    self._starts.append(now)
                    return
                await asyncio.sleep(60.0 - (now - self._starts[0]) + 0.001)


class LLMClient:
    """Chat completions with a concurrency cap, rate pacing, retries and clean errors."""

    def __init__(self, endpoints: list[Endpoint], *, name: str = "llm", max_concurrency: int = 32,
                 num_retries: int = 6, timeout_s: float = 60.0, backoff_base_s: float = 0.5,
                 backoff_max_s: float = 8.0, cooldown_s: float = 5.0, default_params: dict[str, Any] | None = None,
                 seed: int | None = None, price_per_mtok: tuple[float, float] | None = None):
        if not endpoints:
            raise ValueError(f"{name}: no endpoint configured")
        if max_concurrency < 1 or num_retries < 0 or timeout_s <= 0:
            raise ValueError(f"{name}: max_concurrency >= 1, num_retries >= 0 and timeout_s > 0 are required")
        install_log_redaction()
        self.endpoints = list(endpoints)
        self.name = name
        caps = [ep.max_concurrency for ep in self.endpoints]
        # never more in flight than the endpoints together accept
        self.max_concurrency = min(max_concurrency, sum(caps)) if all(caps) else max_concurrency
        rpms = [ep.rpm for ep in self.endpoints]
        self.rpm = sum(rpms) if all(rpms) else None  # type: ignore[arg-type]
        self.num_retries = num_retries
        self.timeout_s = timeout_s
        self.backoff_base_s, self.backoff_max_s, self.cooldown_s = backoff_base_s, backoff_max_s, cooldown_s
        self.default_params = dict(default_params or {})
        self.price_per_mtok = price_per_mtok  # $ per million prompt / completion tokens; None: litellm's price list
        self.group = "agentcl-" + "".join(c if c.isalnum() else "-" for c in name)
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        self._router = None
        self._per_loop: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Semaphore, _RateLimiter | None]] = {}

    # -- plumbing --------------------------------------------------------------------------
    @property
    def router(self):
        if self._router is None:
            self._router = build_router(self.endpoints, group=self.group, timeout_s=self.timeout_s,
                                        cooldown_s=self.cooldown_s)
        return self._router

    def _loop_state(self) -> tuple[asyncio.Semaphore, _RateLimiter | None]:
        """asyncio primitives belong to one event loop; keep a set per loop (TRL runs its own)."""
        loop = asyncio.get_running_loop()
        state = self._per_loop.get(id(loop))
        if state is None or state[0] is not loop:
            for key in [k for k, (old, _, _) in self._per_loop.items() if old.is_closed()]:
                del self._per_loop[key]  # loops of finished asyncio.run() calls
            state = (loop, asyncio.Semaphore(self.max_concurrency), _RateLimiter(self.rpm) if self.rpm else None)
            self._per_loop[id(loop)] = state
        return state[1], state[2]

    def describe_endpoints(self) -> str:
        return ", ".join(ep.describe() for ep in self.endpoints)

    def _endpoint_of(self, exc: BaseException) -> str:
        deployment = str(getattr(exc, "failed_deployment_id", "") or "")
        prefix = self.group + "-"
        if deployment.startswith(prefix) and deployment[len(prefix):].isdigit():
            index = int(deployment[len(prefix):])
            if index < len(self.endpoints):
                return self.endpoints[index].describe()
        return self.describe_endpoints()

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * (2 ** attempt))
        return delay * self._rng.uniform(0.5, 1.0)

    # -- the call --------------------------------------------------------------------------
    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
                       **params: Any) -> Completion:
        """One chat completion (content and/or tool calls), retried on transient errors."""
        litellm = _import_litellm()
        from litellm.types.router import RouterRateLimitError

        semaphore, limiter = self._loop_state()
        request = {**self.default_params, **params}
        if tools:
            request["tools"] = tools
        deadline = time.monotonic() + self.timeout_s * (self.num_retries + 1) + self.backoff_max_s * self.num_retries
        attempts, last_error = 0, None
        while True:
            async with semaphore:
                if limiter is not None:
                    await limiter.acquire()
                try:
                    self.stats.requests += 1
                    attempts += 1
                    response = await self._send(litellm, messages, request)
                    if not getattr(response, "choices", None):
                        raise EmptyResponseError("the endpoint answered without any choice")
                    return self._completion(response, attempts)
                except RouterRateLimitError as exc:  # every endpoint cooling down: no request was sent
                    attempts -= 1
                    self.stats.requests -= 1
                    self.stats.waits += 1
                    wait, last_error = min(float(exc.cooldown_time or self.cooldown_s), self.cooldown_s), exc
                except (litellm.AuthenticationError, litellm.PermissionDeniedError, litellm.NotFoundError,
                        litellm.BadRequestError) as exc:
                    self.stats.failures += 1
                    raise LLMRequestError(self._message("request refused by", exc, attempts, self._endpoint_of(exc))) from None
                except (litellm.RateLimitError, litellm.Timeout, litellm.APIConnectionError,
                        litellm.InternalServerError, litellm.ServiceUnavailableError, litellm.APIError,
                        json.JSONDecodeError, asyncio.TimeoutError, EmptyResponseError) as exc:
                    last_error = exc
                    if "max_parallel_requests" in str(exc):  # a full endpoint, not a sent request
                        attempts -= 1
                        self.stats.requests -= 1
                        self.stats.waits += 1
                        wait = 0.01 + self._rng.uniform(0, 0.02)
                    else:
                        if attempts > self.num_retries:
                            break
                        wait = self._backoff(attempts - 1)
                        self.stats.retries += 1
                        log.info("%s: %s from %s; retry %d/%d in %.2fs", self.name, type(exc).__name__,
                                 self._endpoint_of(exc), attempts, self.num_retries, wait)
            if time.monotonic() + wait > deadline:
                break
            await asyncio.sleep(wait)  # outside the semaphore: a backing-off call holds no slot
        self.stats.failures += 1
        where = self._endpoint_of(last_error) if last_error is not None else self.describe_endpoints()
        raise LLMUnavailableError(self._message("no answer from", last_error, attempts, where)) from None

    async def _send(self, litellm, messages: list[dict[str, Any]], request: dict[str, Any]) -> Any:
        """One attempt. With a single endpoint there is nothing to balance or fail over, so the
        call skips the Router, whose bookkeeping costs several ms of CPU per request (measured
        by bench/judge_overlap.py); the cap and pacing above still apply."""
        if len(self.endpoints) > 1:
            return await self.router.acompletion(model=self.group, messages=messages, drop_params=True, **request)
        # max_retries=0: retries are ours (counted, with backoff), not the OpenAI SDK's
        return await litellm.acompletion(messages=messages, timeout=self.timeout_s, drop_params=True, max_retries=0,
                                         **self.endpoints[0].litellm_params(), **request)

    def _message(self, what: str, exc: BaseException | None, attempts: int, where: str) -> str:
        detail = ""
        if exc is not None:
            first_line = next((line for line in str(exc).splitlines() if line.strip()), "")
            detail = f": {type(exc).__name__}: {first_line[:300]}"
        tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else ""
        return redact(f"{self.name}: {what} {where}{tries}{detail}")

    def _completion(self, response: Any, attempts: int) -> Completion:
        choice = response.choices[0]
        message = choice.message
        calls = []
        for raw in getattr(message, "tool_calls", None) or []:
            arguments = raw.function.arguments or "{}"
            try:
                parsed = json.loads(arguments) if isinstance(arguments, str) else dict(arguments)
            except json.JSONDecodeError:
                parsed = {}
            call = ToolCall(name=raw.function.name or "", arguments=parsed if isinstance(parsed, dict) else {})
            if raw.id:
                call.id = raw.id
            calls.append(call)
        usage_obj = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage_obj, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage_obj, "completion_tokens", 0) or 0)
        if self.price_per_mtok is not None:
            cost = cost_usd(prompt_tokens, completion_tokens, self.price_per_mtok)
        else:  # litellm's cost calculation; None for a model its price list does not know
            cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        usage = {"calls": 1, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "cost_usd": float(cost or 0.0)}
        self.stats.completions += 1
        self.stats.prompt_tokens += usage["prompt_tokens"]
        self.stats.completion_tokens += usage["completion_tokens"]
        return Completion(content=message.content, tool_calls=calls, usage=usage, model=str(response.model),
                          finish_reason=choice.finish_reason, attempts=attempts)

    async def aclose(self) -> None:
        self._router = None  # litellm keeps its http clients in a shared cache; nothing to close here
