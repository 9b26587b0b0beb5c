"""One finished conversation's reward: the one object every reward consumer reads.

The rollout engine's end hook makes it the moment a conversation ends; nothing in it waits on the
network:
- `start_evaluation` (rewards/evaluator.py) fills `info` with the τ²-bench task reward's local
  components and, when NL assertions count, submits them to the NL judge (`nl_future`);
- `JudgeRuntime.start` (rewards/judge/runtime.py) adds the quality judge's future (`quality`, only
  when the judge term is on and the conversation ended normally), the conversation's completion
  token count (for the length penalty), its id and the dispatcher's counters.

The engine keeps it as `Conversation.reward`; the rollout hands it to TRL as the `reward_pending`
column; the reward terms (rewards/terms.py) read their values from it; evaluation reads
`reward_info()`, the τ²-bench task reward that pass^k reports.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..data_model import Check, RewardInfo, RewardType

if TYPE_CHECKING:
    from .judge.dispatcher import JudgeStats

Future = concurrent.futures.Future


def all_met(checks: list[Check]) -> float:
    """A τ²-bench component: 1 when every check is met, else 0."""
    return 1.0 if all(c.met for c in checks) else 0.0


def combined_reward(info: RewardInfo) -> float:
    """The task reward: the product of the components in the reward basis."""
    reward = 1.0
    for component in info.reward_basis:
        reward *= info.reward_breakdown.get(component, 1.0)
    return reward


@dataclass
class PendingConversationReward:
    """A finished conversation's reward, the judge's answers possibly still in flight."""

    info: RewardInfo  # the task reward; final once `nl_future` is collected
    nl_future: "Future[list[Check]] | None" = None  # the NL-assertion verdicts, when they count
    quality: "Future[float] | None" = None  # the quality judge's 0-1 score, when the judge term is on
    completion_tokens: int | None = None  # the conversation's completion tokens (the length penalty's measure)
    conversation_id: str = ""
    judge_stats: "JudgeStats | None" = None  # the dispatcher's counters, for the per-step judge figures

    def futures(self) -> list[Future]:
        return [f for f in (self.nl_future, self.quality) if f is not None]

    def done(self) -> bool:
        return all(f.done() for f in self.futures())

    def reward_info(self, timeout: float | None = None) -> RewardInfo:
        """The task reward's RewardInfo, with the NL verdicts once they are in (waits up to `timeout`;
        raises what the NL future raised, or TimeoutError)."""
        if self.nl_future is not None:
            self.info.nl_assertion_checks = list(self.nl_future.result(timeout))
            self.info.reward_breakdown[RewardType.NL_ASSERTION] = all_met(self.info.nl_assertion_checks)
            self.nl_future = None
            self.info.reward = combined_reward(self.info)
        return self.info

    def task_reward(self, timeout: float | None = None) -> float:
        return float(self.reward_info(timeout).reward)

    def quality_score(self, timeout: float | None = None) -> float | None:
        """The judge's score; None when the conversation was not judged (judge term off, or cut by a limit)."""
        return None if self.quality is None else float(self.quality.result(timeout))
