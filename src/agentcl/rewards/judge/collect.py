"""Collecting the judge's answers for TRL's reward call, and the per-step judge figures.

TRL 1.16 (`GRPOTrainer._calculate_rewards`) calls the reward functions after the reference
log-probs are computed: the sync ones first, then the async ones together on its own daemon event
loop, each with keyword arguments `prompts`, `completions`, `completion_ids`, every extra column
the rollout_func returned (one value per sample), `trainer_state`, `log_extra(column, values)` and
`log_metric(name, value)`. Our judge requests were submitted when each conversation ended, so by
then most answers are in; the reward terms that need them (task reward: NL assertions; judge:
quality) `await wait_for(...)` only what is still in flight, measuring only the time they actually
wait. A future not done within `collect_timeout_s` is cancelled (the dispatcher then drops its
answer) and its value falls back (task reward 0, judge score `--judge-fallback-score`), counted.

`RewardStats` keeps, per step, the judge requests, cache hits and failures since the previous step
(from the dispatcher's `JudgeStats`) and the seconds waited; the task-reward term records them and
hands them to TRL's `log_metric` (`judge/...`) and one log line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from ..pending import PendingConversationReward
from .dispatcher import JudgeStats


@dataclass
class StepRewardStats:
    step: int | None
    samples: int
    judge_requests: int
    cache_hits: int
    failures: int  # dispatcher fallbacks plus futures the reward terms themselves gave up on
    waited_s: float  # seconds the reward call blocked on judge futures
    already_done: int  # samples whose futures were all done when the reward call started
    mean_reward: float  # of the task reward

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

    def learn(self, samples: list[PendingConversationReward]) -> None:
        if self.judge_stats is None:
            self.judge_stats = next((s.judge_stats for s in samples if s.judge_stats is not None), None)

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


def pending_rewards(reward_pending: Any, n: int) -> list[PendingConversationReward]:
    """The `reward_pending` column, checked: one PendingConversationReward per completion."""
    if reward_pending is None:
        raise ValueError("the reward terms need the rollout's 'reward_pending' column (our rollout_func), got none")
    if not isinstance(reward_pending, (list, tuple)) or len(reward_pending) != n:
        size = len(reward_pending) if hasattr(reward_pending, "__len__") else "?"
        raise ValueError(f"reward column 'reward_pending' must hold one value per completion ({n}), got "
                         f"{type(reward_pending).__name__} of length {size}")
    for p in reward_pending:
        if not isinstance(p, PendingConversationReward):
            raise TypeError(f"reward_pending holds {type(p).__name__}, expected PendingConversationReward")
    return list(reward_pending)


async def wait_for(futures: list[concurrent.futures.Future], timeout_s: float | None) -> float:
    """Wait (without blocking the event loop) until every future is done or `timeout_s` passed;
    cancel those still running. Returns the seconds waited."""
    started = time.perf_counter()
    pending = [f for f in futures if not f.done()]
    if pending:
        await asyncio.wait([asyncio.wrap_future(f) for f in pending], timeout=timeout_s)
        for f in pending:
            f.cancel()  # only those still not done
    return time.perf_counter() - started
