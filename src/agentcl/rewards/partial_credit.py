"""Partial credit: a dense, optional reward term for conversations that are partly right.

The τ²-bench task reward is 0 or 1 (a product of all-or-nothing components), so a small policy
that gets two of three gold actions right earns exactly what one that does nothing earns, and a
GRPO group often has no reward variance at all. Partial credit scores the share of the task that
was done:

- actions: the share of gold actions matched by some tool call of the same requestor, with the
  right arguments (the same matching rule as the ACTION component);
- env_assertions: the share of the task's environment assertions met on the final state;
- communicate: the share of `communicate_info` strings delivered in the agent's messages (the
  same rule as the COMMUNICATE component).

The score is the weighted mean of the parts the task has (a part the task does not define is left
out and the other weights renormalised); a task with none of them scores 0. It is a training term
only (its own TRL reward function, weighted by the run's reward weights); the task reward stays
the τ²-bench reward that evaluation and pass^k report. Off by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..data_model import Message, Task
from ..environment import Environment
from .evaluator import check_actions, check_communicate, check_env_assertions, replay_conversation

if TYPE_CHECKING:
    from ..domains.base import DomainData

PARTS = ("actions", "env_assertions", "communicate")


@dataclass(frozen=True)
class PartialCreditWeights:
    actions: float = 1.0
    env_assertions: float = 1.0
    communicate: float = 1.0

    def __post_init__(self) -> None:
        for name in PARTS:
            if getattr(self, name) < 0:
                raise ValueError(f"partial credit weight {name!r} must be >= 0, got {getattr(self, name)}")
        if not any(getattr(self, name) for name in PARTS):
            raise ValueError("partial credit needs at least one positive weight (actions, env_assertions, communicate)")

    @classmethod
    def from_list(cls, values: list[float] | list[str] | tuple[float, ...]) -> "PartialCreditWeights":
        if len(values) != len(PARTS):
            raise ValueError(f"partial credit weights: expected {len(PARTS)} numbers ({', '.join(PARTS)}), "
                             f"got {list(values)}")
        try:
            numbers = [float(v) for v in values]
        except (TypeError, ValueError):
            raise ValueError(f"partial credit weights must be numbers ({', '.join(PARTS)}), got {list(values)}") from None
        return cls(*numbers)


@dataclass
class PartialCredit:
    score: float  # in [0, 1]
    shares: dict[str, float] = field(default_factory=dict)  # the parts the task defines, each in [0, 1]


def _share(checks: list) -> float | None:
    return sum(c.met for c in checks) / len(checks) if checks else None


def partial_credit(task: Task, domain: "DomainData", messages: list[Message], *,
                   final_environment: Environment | None = None,
                   weights: PartialCreditWeights | None = None) -> PartialCredit:
    """The partial credit of one finished conversation (see the module docstring)."""
    weights = weights or PartialCreditWeights()
    criteria = task.evaluation_criteria
    if criteria is None:
        return PartialCredit(0.0)
    shares: dict[str, float | None] = {
        "actions": _share(check_actions(criteria, messages)) if weights.actions else None,
        "communicate": _share(check_communicate(criteria, messages)) if weights.communicate else None,
        "env_assertions": None,
    }
    if weights.env_assertions and criteria.env_assertions:
        env = final_environment if final_environment is not None else replay_conversation(domain, task, messages)
        shares["env_assertions"] = _share(check_env_assertions(criteria, env))
    present = {k: v for k, v in shares.items() if v is not None}
    total = sum(getattr(weights, k) for k in present)
    if not present or total == 0:
        return PartialCredit(0.0, present)
    return PartialCredit(sum(getattr(weights, k) * v for k, v in present.items()) / total, present)


def make_partial_credit_reward_fn(weights: PartialCreditWeights | None = None):
    """A TRL reward function (`reward_funcs=[..., this]`): partial credit of each conversation.

    Reads the `conversation` column our rollout_func forwards (rollout/rollout_func.py); the
    conversation's own live environment is its final state. Its weight in the total reward is the
    run's reward weight for it (GRPOConfig.reward_weights).
    """

    def partial_credit_reward(prompts: list[Any] | None = None, completions: list[Any] | None = None,
                              conversation: list[Any] | None = None, **kwargs: Any) -> list[float]:
        if conversation is None:
            raise ValueError("partial credit needs the rollout's `conversation` column (our rollout_func)")
        return [partial_credit(c.task, c.domain, c.messages, final_environment=c.environment,
                               weights=weights).score for c in conversation]

    partial_credit_reward.__name__ = "partial_credit"  # TRL logs rewards/partial_credit/mean
    return partial_credit_reward
