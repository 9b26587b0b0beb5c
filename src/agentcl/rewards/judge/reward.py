"""The reward function given to TRL: `async`, it only collects what the rollout already submitted.

TRL 1.16 (`GRPOTrainer._calculate_rewards`) awaits async reward functions on its own daemon
event loop, after the reference log-probs are computed, with keyword arguments `prompts`,
`completions`, `completion_ids`, every extra column the rollout_func returned (one value per
sample), `trainer_state`, `log_extra(column, values)` and `log_metric(name, value)`.

Columns read, per sample (the first present wins):
- `reward_pending`: a `PendingConversationReward` (what `JudgeRuntime.on_conversation_end` returns);
- else `task_reward` (a float, the evaluator's PendingReward, or a Future of a float), with
  optional `judge_future` / `judge_futures` (a Future of the 0-1 quality score, or None) and
  `completion_tokens` (for the length penalty).

Per call the function waits for every future, measuring only the time it actually waits, then
composes the rewards. Per step it records the judge requests, cache hits and failures since the
previous step and the seconds waited, in `RewardStats`, via TRL's `log_metric` (`judge/...`), and
in one log line. A future that raises or is not done within `collect_timeout_s` gets the
fallback score, counted; training goes on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..composition import RewardComposer
from .dispatcher import JudgeStats
from .runtime import PendingConversationReward

log = logging.getLogger(__name__)


@dataclass
class StepRewardStats:
    step: int | None
    samples: int
    judge_requests: int
    cache_hits: int
    failures: int  # dispatcher fallbacks plus futures the reward function itself gave up on
    waited_s: float  # seconds the reward function blocked on judge futures
    already_done: int  # samples whose futures were all done when the function started
    mean_reward: float

    def metrics(self) -> dict[str, float]:
        return {"judge/requests": self.judge_requests, "judge/cache_hits": self.cache_hits,
                "judge/failures": self.failures, "judge/wait_s": self.waited_s,
                "judge/ready_fraction": self.already_done / self.samples if self.samples else 1.0}


class RewardStats:
    """Per-step judge figures, for the trainer's logs; `last` is the latest step."""

    def __init__(self, judge_stats: JudgeStats | None = None):
        self.judge_stats = judge_stats  # or learnt from the first samples that carry one
        self.steps: list[StepRewardStats] = []
        self._lock = threading.Lock()
        self._previous = judge_stats.snapshot() if judge_stats is not None else {}
        self.total_waited_s = 0.0
        self.collect_failures = 0

    @property
    def last(self) -> StepRewardStats | None:
        return self.steps[-1] if self.steps else None

    def record(self, step: int | None, samples: int, waited_s: float, already_done: int, own_failures: int,
               mean_reward: float) -> StepRewardStats:
        with self._lock:
            current = self.judge_stats.snapshot() if self.judge_stats is not None else {}

            def delta(name: str) -> int:
                return int(current.get(name, 0) - self._previous.get(name, 0))

            entry = StepRewardStats(step, samples, delta("requests"), delta("cache_hits"),
                                    delta("failures") + own_failures, waited_s, already_done, mean_reward)
            self._previous = current
            self.total_waited_s += waited_s
            self.collect_failures += own_failures
            self.steps.append(entry)
            return entry

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.steps]


def _column(kwargs: dict[str, Any], names: Sequence[str], n: int) -> list[Any] | None:
    for name in names:
        values = kwargs.get(name)
        if values is not None:
            if not isinstance(values, (list, tuple)) or len(values) != n:
                raise ValueError(f"reward column {name!r} must hold one value per completion ({n}), got "
                                 f"{type(values).__name__} of length {len(values) if hasattr(values, '__len__') else '?'}")
            return list(values)
    return None


def _as_pending(kwargs: dict[str, Any], n: int) -> list[PendingConversationReward]:
    pending = _column(kwargs, ("reward_pending",), n)
    if pending is not None:
        for p in pending:
            if not isinstance(p, PendingConversationReward):
                raise TypeError(f"reward_pending holds {type(p).__name__}, expected PendingConversationReward")
        return pending
    task = _column(kwargs, ("task_reward", "task_rewards"), n)
    if task is None:
        raise ValueError("the reward function needs a 'reward_pending' or 'task_reward' column from the "
                         f"rollout; got columns {sorted(k for k in kwargs if not k.startswith('log_'))}")
    judge = _column(kwargs, ("judge_future", "judge_futures"), n) or [None] * n
    tokens = _column(kwargs, ("completion_tokens",), n) or [None] * n
    out = []
    for t, j, k in zip(task, judge, tokens):
        if isinstance(t, concurrent.futures.Future):
            t = _FutureTaskReward(t)
        out.append(PendingConversationReward(t, j, k))
    return out


class _FutureTaskReward:
    """A Future of a float, shaped like the evaluator's PendingReward."""

    def __init__(self, future: concurrent.futures.Future):
        self.nl_future = future

    def result(self, timeout: float | None = None) -> Any:
        return _FloatInfo(float(self.nl_future.result(timeout)))


@dataclass
class _FloatInfo:
    reward: float


def make_async_reward_fn(composer: RewardComposer | None = None, *, max_tokens: int | None = None,
                         stats: RewardStats | None = None, fallback_score: float = 0.0,
                         collect_timeout_s: float | None = None, name: str = "agentcl_reward"):
    """`async def reward(prompts, completions, **kwargs) -> list[float]` for GRPOTrainer(reward_funcs=[...]).

    `max_tokens` is the token budget the length penalty measures against (needed when it is on);
    `fallback_score` is used for a judge score that cannot be collected.
    """
    composer = composer or RewardComposer()
    stats = stats if stats is not None else RewardStats()

    async def reward(prompts: list[Any] | None = None, completions: list[Any] | None = None,
                     **kwargs: Any) -> list[float]:
        n = len(completions if completions is not None else prompts or [])
        samples = _as_pending(kwargs, n)
        if stats.judge_stats is None:
            stats.judge_stats = next((s.judge_stats for s in samples if s.judge_stats is not None), None)
        futures = [f for s in samples for f in s.futures()]
        already_done = sum(1 for s in samples if s.done())
        started = time.perf_counter()
        pending = [f for f in futures if not f.done()]
        own_failures = 0
        if pending:
            await asyncio.wait([asyncio.wrap_future(f) for f in pending], timeout=collect_timeout_s)
            for f in pending:
                f.cancel()  # only those still not done; the dispatcher then drops their answers
        waited = time.perf_counter() - started

        rewards, task_rewards, judge_scores, penalties = [], [], [], []
        for sample in samples:
            # Everything is done or cancelled by now: timeout=0 never blocks this event loop.
            try:
                task_value = sample.task_value(timeout=0)
            except Exception as exc:  # includes a future cancelled after the timeout
                own_failures += 1
                log.warning("task reward of %s not collected (%s); using 0", sample.conversation_id or "a sample",
                            type(exc).__name__)
                task_value = 0.0
            try:
                judge_value = sample.quality_value(timeout=0)
            except Exception as exc:
                own_failures += 1
                log.warning("judge score not collected (%s); using the fallback %.2f", type(exc).__name__,
                            fallback_score)
                judge_value = fallback_score
            value, breakdown = composer.compose(task_value, judge_value, sample.completion_tokens, max_tokens)
            rewards.append(value)
            task_rewards.append(task_value)
            judge_scores.append(breakdown["judge_score"])
            penalties.append(breakdown["length_penalty"])

        trainer_state = kwargs.get("trainer_state")
        step = getattr(trainer_state, "global_step", None)
        entry = stats.record(step, n, waited, already_done, own_failures, sum(rewards) / n if n else math.nan)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for metric, value in entry.metrics().items():
                log_metric(metric, float(value))
        log_extra = kwargs.get("log_extra")
        if callable(log_extra):
            log_extra("task_reward", task_rewards)
            if composer.uses_judge:
                log_extra("judge_score", judge_scores)
            if composer.config.length_penalty is not None:
                log_extra("length_penalty", penalties)
        log.info("step %s rewards: %d samples, judge requests %d, cache hits %d, failures %d, waited %.3f s "
                 "(%d/%d ready)", step, n, entry.judge_requests, entry.cache_hits, entry.failures, waited,
                 already_done, n)
        return rewards

    reward.__name__ = reward.__qualname__ = name
    reward.stats = stats  # type: ignore[attr-defined]
    return reward
