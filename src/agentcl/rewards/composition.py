"""Reward composition: reward = task_reward + judge_coefficient × judge_score − length_penalty.

Only the task reward is on by default (judge_coefficient = 0, length penalty off).

Length penalty. With r = completion_tokens / max_tokens (the share of the token budget used):

    x(r)       = max(0, r − peak_ratio) / (outer_ratio − peak_ratio)
    penalty(r) = min(max_penalty, penalty_scale × x(r)²)

- up to `peak_ratio` of the budget there is no penalty (the reward is at its peak there);
- from `peak_ratio` to `outer_ratio` it rises as a parabola, reaching exactly `penalty_scale` at
  `outer_ratio`; it is flat at `peak_ratio` (no sudden cliff) and steepest near the budget;
- past `outer_ratio` it keeps rising on the same parabola until it is capped at `max_penalty`.
Defaults: peak_ratio 0.5, outer_ratio 1.0, penalty_scale 0.5, max_penalty 1.0; so a conversation
using 75% of its budget loses 0.125, one using all of it loses 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True)
class CompositionConfig:
    judge_coefficient: float = 0.0
    length_penalty: LengthPenalty | None = None  # None: no length penalty


class RewardComposer:
    """Adds the configured terms to the task reward; `compose` also returns each term."""

    def __init__(self, config: CompositionConfig | Any = None):
        if config is None:
            config = CompositionConfig()
        elif not isinstance(config, CompositionConfig):  # a JudgeConfig
            config = config.composition()
        self.config = config

    @property
    def uses_judge(self) -> bool:
        return self.config.judge_coefficient != 0

    def compose(self, task_reward: float, judge_score: float | None, completion_tokens: int | None = None,
                max_tokens: int | None = None) -> tuple[float, dict[str, float]]:
        cfg = self.config
        judge_term = 0.0
        if cfg.judge_coefficient and judge_score is not None:
            judge_term = cfg.judge_coefficient * float(judge_score)
        penalty = 0.0
        if cfg.length_penalty is not None:
            if completion_tokens is None or not max_tokens:
                raise ValueError("the length penalty is on: compose() needs completion_tokens and max_tokens")
            penalty = cfg.length_penalty(completion_tokens, max_tokens)
        reward = float(task_reward) + judge_term - penalty
        breakdown = {"task_reward": float(task_reward), "judge_score": judge_score if judge_score is not None else
                     float("nan"), "judge_term": judge_term, "length_penalty": penalty, "reward": reward}
        return reward, breakdown
