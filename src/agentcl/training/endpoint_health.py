"""Stop early and clearly when the user simulator (or the judge) cannot answer.

Two guards, used by the curriculum run:

- `check_endpoints(user_simulator, judge_runtime)`, before anything is trained or evaluated: one
  tiny chat request to every endpoint of every API client they hold (an object's `.client`, an
  `LLMClient`). A refused connection, a timeout, a refused key (401/403) or an unknown model/path
  (404) raises EndpointCheckError naming the endpoint and the flags to fix. An endpoint that
  answers at all (even 400 "not a conversation", 429 or 5xx, which retries absorb in training)
  passes. Simulators without an API (scripted, local HF model) are not probed.
- `UserErrorGuard(max_share)`, after every training step: when the share of the step's
  conversations that ended in `user_error` passes `max_share`, raises TooManyUserErrors — the
  caller has already saved the step's conversations, so the results journal keeps what was done.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..errors import AgentclError

log = logging.getLogger(__name__)

PROBE_MESSAGES = [{"role": "user", "content": "ping"}]
PROBE_ATTEMPTS = 3  # only a connection failure or timeout is retried
PROBE_TIMEOUT_S = 30.0
USER_ERROR = "user_error"


class EndpointCheckError(AgentclError):
    """A user-simulator or judge endpoint cannot be used."""


class TooManyUserErrors(AgentclError):
    """Too many conversations of one training step lost their user simulator."""


def _clients(holder: Any) -> list[Any]:
    from ..llm.client import LLMClient

    client = getattr(holder, "client", None)
    return [client] if isinstance(client, LLMClient) else []


async def _connect_problem(api_base: str | None, timeout_s: float) -> str | None:
    """Can a TCP connection be opened to the endpoint's host? (litellm reports a refused
    connection as an InternalServerError, so the probe looks at the socket itself first.)"""
    if not api_base:
        return None  # the provider's default URL
    url = urlsplit(api_base)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, port), timeout_s)
    except (OSError, asyncio.TimeoutError) as exc:
        reason = "timed out" if isinstance(exc, asyncio.TimeoutError) else (exc.strerror or type(exc).__name__)
        return f"does not answer (connecting to {url.hostname}:{port}: {reason}); is the server running there?"
    writer.close()
    return None


async def _probe(endpoint: Any, timeout_s: float) -> str | None:
    """None when the endpoint answers; else why it cannot be used."""
    import litellm

    problem = None
    for attempt in range(PROBE_ATTEMPTS):
        problem = await _connect_problem(endpoint.api_base, timeout_s)
        if problem:
            await asyncio.sleep(0.2 * (attempt + 1))
            continue
        try:
            await litellm.acompletion(messages=PROBE_MESSAGES, timeout=timeout_s, drop_params=True, max_retries=0,
                                      max_tokens=1, **endpoint.litellm_params())
            return None
        except (litellm.AuthenticationError, litellm.PermissionDeniedError) as exc:
            return f"refuses the API key (HTTP {getattr(exc, 'status_code', '401')}); check the key or key file"
        except litellm.NotFoundError:
            return "answers 404: the model name or the API base path is wrong"
        except (litellm.APIConnectionError, litellm.Timeout, asyncio.TimeoutError) as exc:
            first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            problem = f"does not answer ({type(exc).__name__}: {first[:200]}); is the server running at that address?"
            await asyncio.sleep(0.2 * (attempt + 1))
        except Exception as exc:  # noqa: BLE001 - 400/429/5xx/malformed: it answered; training retries those
            if "Connection error" not in str(exc):
                return None
            problem = f"does not answer ({str(exc).splitlines()[0][:200]})"
            await asyncio.sleep(0.2 * (attempt + 1))
    return problem


def check_endpoints(*holders: Any, timeout_s: float = PROBE_TIMEOUT_S) -> int:
    """Probe every API endpoint the holders (user simulators, judge runtimes) use; returns how many
    were probed, raises EndpointCheckError listing every one that cannot be used."""
    from ..async_runner import api_loop
    from ..secrets import redact

    targets = [(client.name, endpoint, min(timeout_s, client.timeout_s))
               for holder in holders if holder is not None for client in _clients(holder)
               for endpoint in client.endpoints]
    if not targets:
        return 0

    async def probe_all() -> list[str | None]:
        return list(await asyncio.gather(*(_probe(ep, t) for _, ep, t in targets)))

    problems = [f"{name} endpoint {endpoint.describe()} {problem}"
                for (name, endpoint, _), problem in zip(targets, api_loop().run(probe_all())) if problem]
    if problems:
        raise EndpointCheckError(redact("; ".join(problems) + " (set --openai-api-base / --openai-api-key[-file] "
                                        "for the user simulator, --judge-api-base / --judge-api-key[-file] for "
                                        "the judge; nothing was trained)"))
    log.info("endpoints answer: %s", ", ".join(ep.describe() for _, ep, _ in targets))
    return len(targets)


class UserErrorGuard:
    """Stops training when a step's share of `user_error` conversations passes `max_share`
    (None or >= 1: never)."""

    def __init__(self, max_share: float | None):
        if max_share is not None and not 0.0 <= max_share <= 1.0:
            raise ValueError(f"the user-error share limit must be between 0 and 1, got {max_share}")
        self.max_share = max_share

    def check(self, terminations: Mapping[str, int] | Iterable[str], *, step: int, stage: str) -> None:
        counts = Counter(terminations)
        total = sum(counts.values())
        if self.max_share is None or self.max_share >= 1.0 or total == 0:
            return
        share = counts.get(USER_ERROR, 0) / total
        if share > self.max_share:
            raise TooManyUserErrors(
                f"stage {stage!r} step {step}: {counts.get(USER_ERROR, 0)} of {total} conversations ended in "
                f"user_error ({share:.0%} > {self.max_share:.0%}, --max-user-error-share): the user simulator is "
                "failing. The step's conversations and the last checkpoint are saved; fix the simulator endpoint "
                "and continue with --resume")
