"""The terms of the training reward: each its own TRL reward function, weighted by GRPOConfig.reward_weights.

TRL adds them up (`reward = Σ weight_i × term_i`, a term's None counting 0) and logs each as
`rewards/<name>/mean` and `/std`. The terms, in the order they are handed to TRL (only those
switched on):

| name             | value                                                      | weight               |
| ---------------- | ---------------------------------------------------------- | -------------------- |
| `task_reward`    | the τ²-bench task reward, 0 or 1 (what evaluation and pass^k report) | 1          |
| `judge`          | the quality judge's 0-1 score; None for a conversation cut by a limit (not judged) | `--judge-coefficient` |
| `length_penalty` | minus the penalty below                                    | 1 (on: `--length-penalty`) |
| `partial_credit` | rewards/partial_credit.py                                  | `--partial-credit`   |

By default only the task reward is on: the reward is the τ²-bench reward. `--reward_weights`
(GRPOConfig's own flag) replaces the weights, one per term switched on.

Every term reads the rollout's columns: `reward_pending` (one `PendingConversationReward` per
conversation, rewards/pending.py) or `conversation`.

Collecting the judge's answers. TRL 1.16 (`GRPOTrainer._calculate_rewards`) calls the reward
functions after the reference log-probs are computed: the sync ones first, then the async ones
together (asyncio.gather) on its own daemon event loop, each with `prompts`, `completions`,
`completion_ids`, every extra column the rollout_func returned (one value per sample),
`trainer_state`, `log_extra` and `log_metric`. Our judge requests were submitted when each
conversation ended, so most answers are in by then; the task-reward term (NL verdicts; it also
waits for the rest of the batch's answers, so the step's wait is measured once) and the judge term
await only what is still in flight. A future not done within `collect_timeout_s` is cancelled (the
dispatcher then drops its answer) and its value falls back (task reward 0, judge score
`--judge-fallback-score`), counted. `RewardStats` keeps per step the judge requests, cache hits
and failures since the previous step (the dispatcher's `JudgeStats`) and the seconds waited; the
task-reward term hands them to TRL's `log_metric` (`judge/...`) and one log line.

Length penalty. With r = completion_tokens / max_tokens (the share of the token budget used):

    x(r)       = max(0, r − peak_ratio) / (outer_ratio − peak_ratio)
    penalty(r) = min(max_penalty, penalty_scale × x(r)²)

- up to `peak_ratio` of the budget there is no penalty;
- from `peak_ratio` to `outer_ratio` it rises as a parabola, reaching exactly `penalty_scale` at
  `outer_ratio`; it is flat at `peak_ratio` (no sudden cliff) and steepest near the budget;
- past `outer_ratio` it keeps rising on the same parabola until it is capped at `max_penalty`.
Defaults: peak_ratio 0.5, outer_ratio 1.0, penalty_scale 0.5, max_penalty 1.0; so a conversation
using 75% of its budget loses 0.125, one using all of it loses 0.5.

To add a term: a `make_<name>_fn` here returning `f(prompts, completions, **columns) -> list[float | None]`
(sync, or async when it waits on something) named `<name>`, its weight in `term_weights`, its
builder in `reward_funcs`, its flag beside the others (rewards/judge/config.py or config.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Callable

from .pending import PendingConversationReward

if TYPE_CHECKING:
    from .judge.config import JudgeConfig
    from .judge.dispatcher import JudgeStats

log = logging.getLogger(__name__)

TASK_REWARD, JUDGE, LENGTH_PENALTY, PARTIAL_CREDIT = "task_reward", "judge", "length_penalty", "partial_credit"


# -- the length penalty's shape -------------------------------------------------------------------
@dataclass(frozen=True)
class LengthPenalty:
    peak_ratio: float = 0.5
    outer_ratio: float = 1.0
    penalty_scale: float = 0.5
    max_penalty: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.peak_ratio < self.outer_ratio:
            raise ValueError(f"length penalty needs 0 <= peak_ratio < outer_ratio, got peak_ratio="
                             f"{self.peak_ratio}, outer_ratio={self.outer_ratio}")
        if self.penalty_scale < 0 or self.max_penalty < 0:
            raise ValueError(f"length penalty scale and cap must be >= 0, got penalty_scale={self.penalty_scale}, "
                             f"max_penalty={self.max_penalty}")

    def __call__(self, completion_tokens: int, max_tokens: int) -> float:
        return length_penalty(completion_tokens, max_tokens, self.peak_ratio, self.outer_ratio,
                              self.penalty_scale, self.max_penalty)


def length_penalty(completion_tokens: int, max_tokens: int, peak_ratio: float = 0.5, outer_ratio: float = 1.0,
                   penalty_scale: float = 0.5, max_penalty: float = 1.0) -> float:
    """The penalty (>= 0, subtracted from the reward) for using `completion_tokens` of `max_tokens`."""
    if max_tokens <= 0:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    if completion_tokens < 0:
        raise ValueError(f"completion_tokens must be >= 0, got {completion_tokens}")
    ratio = completion_tokens / max_tokens
    x = max(0.0, ratio - peak_ratio) / (outer_ratio - peak_ratio)
    return min(max_penalty, penalty_scale * x * x)


# -- collecting the judge's answers ---------------------------------------------------------------
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

    def __init__(self, judge_stats: "JudgeStats | None" = None):
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


# -- the terms -------------------------------------------------------------------------------------
def _count(prompts: list[Any] | None, completions: list[Any] | None) -> int:
    return len(completions if completions is not None else prompts or [])


def make_task_reward_fn(*, stats: RewardStats | None = None, collect_timeout_s: float | None = None):
    """The τ²-bench task reward of each conversation (async: waits for the NL verdicts and, so the
    step's wait is measured once, every other judge answer of the batch). `fn.stats` holds the
    per-step judge figures."""
    stats = stats if stats is not None else RewardStats()

    async def task_reward(prompts: list[Any] | None = None, completions: list[Any] | None = None,
                          reward_pending: list[Any] | None = None, **kwargs: Any) -> list[float]:
        n = _count(prompts, completions)
        samples = pending_rewards(reward_pending, n)
        stats.learn(samples)
        already_done = sum(1 for s in samples if s.done())
        waited = await wait_for([f for s in samples for f in s.futures()], collect_timeout_s)
        values, own_failures = [], 0
        for sample in samples:
            try:  # everything is done or cancelled by now: timeout=0 never blocks this event loop
                values.append(sample.task_reward(timeout=0))
            except Exception as exc:  # includes a future cancelled after the timeout
                own_failures += 1
                log.warning("task reward of %s not collected (%s); using 0", sample.conversation_id or "a sample",
                            type(exc).__name__)
                values.append(0.0)
            if sample.quality is not None and (sample.quality.cancelled() or sample.quality.exception(0)):
                own_failures += 1  # the judge term falls back for it
        step = getattr(kwargs.get("trainer_state"), "global_step", None)
        entry = stats.record(step, n, waited, already_done, own_failures, sum(values) / n if n else math.nan)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for metric, value in entry.metrics().items():
                log_metric(metric, float(value))
        log.info("step %s rewards: %d samples, judge requests %d, cache hits %d, failures %d, waited %.3f s "
                 "(%d/%d ready)", step, n, entry.judge_requests, entry.cache_hits, entry.failures, waited,
                 already_done, n)
        return values

    task_reward.stats = stats  # type: ignore[attr-defined]
    return task_reward


def make_judge_fn(*, fallback_score: float = 0.0, collect_timeout_s: float | None = None):
    """The quality judge's 0-1 score of each conversation; None where it was not judged."""

    async def judge(prompts: list[Any] | None = None, completions: list[Any] | None = None,
                    reward_pending: list[Any] | None = None, **kwargs: Any) -> list[float | None]:
        samples = pending_rewards(reward_pending, _count(prompts, completions))
        await wait_for([s.quality for s in samples if s.quality is not None], collect_timeout_s)
        values: list[float | None] = []
        for sample in samples:
            try:
                values.append(sample.quality_score(timeout=0))
            except Exception as exc:  # cancelled after the timeout (counted by the task-reward term)
                log.warning("judge score not collected (%s); using the fallback %.2f", type(exc).__name__,
                            fallback_score)
                values.append(fallback_score)
        return values

    return judge


def make_length_penalty_fn(shape: LengthPenalty, max_tokens: int):
    """Minus the length penalty of each conversation, measured against the conversation token budget."""

    def length_penalty(prompts: list[Any] | None = None, completions: list[Any] | None = None,
                       reward_pending: list[Any] | None = None, **kwargs: Any) -> list[float]:
        samples = pending_rewards(reward_pending, _count(prompts, completions))
        missing = [s.conversation_id for s in samples if s.completion_tokens is None]
        if missing:
            raise ValueError(f"the length penalty needs each conversation's completion_tokens; missing for {missing[:3]}")
        return [-shape(s.completion_tokens, max_tokens) for s in samples]

    return length_penalty


# -- a run's terms ---------------------------------------------------------------------------------
def term_weights(judge: "JudgeConfig | None", partial_credit: float = 0.0) -> dict[str, float]:
    """The terms switched on, in TRL's order, with their weights from the flags (no judge config:
    its defaults, judge and length penalty off)."""
    weights = {TASK_REWARD: 1.0}
    if judge is not None and judge.judge_coefficient:
        weights[JUDGE] = float(judge.judge_coefficient)
    if judge is not None and judge.length_penalty:
        weights[LENGTH_PENALTY] = 1.0
    if partial_credit:
        weights[PARTIAL_CREDIT] = float(partial_credit)
    return weights


def reward_funcs(judge: "JudgeConfig | None", *, max_tokens: int, partial_credit: float = 0.0,
                 partial_credit_weights: list[float] | None = None, stats: RewardStats | None = None,
                 collect_timeout_s: float | None = None) -> list[Callable[..., Any]]:
    """One TRL reward function per term of `term_weights`, in the same order."""
    builders: dict[str, Callable[[], Callable[..., Any]]] = {
        TASK_REWARD: lambda: make_task_reward_fn(stats=stats, collect_timeout_s=collect_timeout_s),
        JUDGE: lambda: make_judge_fn(fallback_score=judge.fallback_score, collect_timeout_s=collect_timeout_s),
        LENGTH_PENALTY: lambda: make_length_penalty_fn(judge.length_penalty_shape(), max_tokens),
        PARTIAL_CREDIT: lambda: _partial_credit_fn(partial_credit_weights),
    }
    return [builders[name]() for name in term_weights(judge, partial_credit)]


def _partial_credit_fn(weights: list[float] | None):
    from .partial_credit import PartialCreditWeights, make_partial_credit_reward_fn

    return make_partial_credit_reward_fn(PartialCreditWeights.from_list(weights) if weights else None)
