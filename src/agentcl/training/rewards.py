"""The reward function handed to TRL, and the record of every training conversation.

The rollout engine calls `JudgeRuntime.on_conversation_end` the moment a conversation ends (task
reward computed locally, judge requests submitted); its result comes back from our rollout_func as
the `reward_pending` column. TRL then computes the reference log-probs and awaits our async reward
function, which collects the judge futures and composes the reward (the judge package's
`make_async_reward_fn`). Here we wrap that function to also keep each finished conversation as a
`SimulationRun` (messages, termination, reward breakdown, final reward) in a per-process buffer;
a callback gathers the buffers of all processes after each optimizer step and the main process
writes them.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

from ..data_model import RewardInfo, SimulationRun, TerminationReason

REWARD_FUNC_NAME = "reward"  # TRL logs it as rewards/reward/mean


class ConversationBuffer:
    """Finished training conversations of this process since the last `take()` (thread-safe)."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            self._items.extend(records)

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            items, self._items = self._items, []
        return items


def conversation_record(conversation: Any, pending: Any, reward: float) -> dict[str, Any]:
    """One finished conversation as a JSON-ready SimulationRun dict (labelled later by the writer)."""
    info = None
    reward_info = getattr(pending, "reward_info", None)
    if callable(reward_info):
        try:
            value = reward_info()
            info = value.model_copy(deep=True) if isinstance(value, RewardInfo) else None
        except Exception:  # a judge future that failed: the reward function already used its fallback
            info = None
    termination = conversation.termination_reason or TerminationReason.AGENT_ERROR
    run = SimulationRun(
        id=conversation.conversation_id,
        task_id=conversation.task_id,
        domain=conversation.domain_name,
        trial=conversation.trial,
        messages=list(conversation.messages),
        termination_reason=termination,
        reward_info=info,
        extra={
            "train_reward": None if math.isnan(reward) else float(reward),
            **conversation.counts(),
            "process_index": _process_index(),
            **({"error": conversation.error} if conversation.error else {}),
            **({"usage": usage} if (usage := _usage_of(conversation)) else {}),
        },
    )
    return run.model_dump(mode="json")


def _usage_of(conversation: Any) -> dict[str, dict[str, float]]:
    """The conversation's user-simulator and judge spend (the judge futures are collected by now)."""
    record = getattr(conversation, "usage_record", None)
    return record() if callable(record) else {}


def _process_index() -> int:
    from .model_loading import process_state

    return process_state().process_index


def make_training_reward_fn(inner: Callable[..., Any], buffer: ConversationBuffer | None):
    """Wrap the judge package's async reward function: same rewards, plus a record per conversation."""

    async def reward(prompts: list[Any] | None = None, completions: list[Any] | None = None, **kwargs: Any):
        rewards = await inner(prompts=prompts, completions=completions, **kwargs)
        conversations = kwargs.get("conversation")
        pending = kwargs.get("reward_pending") or [None] * len(rewards)
        if buffer is not None and conversations is not None:
            buffer.add([conversation_record(c, p, r) for c, p, r in zip(conversations, pending, rewards)])
        return rewards

    reward.__name__ = reward.__qualname__ = REWARD_FUNC_NAME
    reward.stats = getattr(inner, "stats", None)  # type: ignore[attr-defined]
    return reward
