"""The reward functions handed to TRL, and the record of every training conversation.

The terms of the reward are rewards/terms.py's TRL reward functions, weighted by
GRPOConfig.reward_weights (`reward_weights(config)`: one per term switched on, from the flags, or
`--reward_weights`). Here each is wrapped, unchanged in what it returns (sync stays sync, async
stays async, the name TRL logs stays), to note its value per conversation in a per-process
`ConversationBuffer`; the first (the task reward) also adds the conversation and its
`PendingConversationReward`. After each optimizer step a callback takes the buffer (every term has
run by then) as `SimulationRun`s — messages, termination, the task's RewardInfo, each term's value
and the weighted total — gathers them over all processes and the main process writes them.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
from typing import Any, Callable, Sequence

from ..config import ConfigError, RunConfig
from ..data_model import SimulationRun, TerminationReason


def reward_weights(config: RunConfig) -> list[float]:
    """GRPOConfig.reward_weights of a run: one per reward term switched on (rewards/terms.py)."""
    from ..rewards.terms import term_weights

    weights = term_weights(config.judge, config.run.partial_credit)
    given = config.training.reward_weights
    if given is None:
        return list(weights.values())
    if len(given) != len(weights):
        raise ConfigError(f"--reward_weights has {len(given)} numbers, but this run has {len(weights)} reward "
                          f"terms ({', '.join(weights)}): give one weight per term, in that order")
    return [float(w) for w in given]


class ConversationBuffer:
    """Finished training conversations of this process since the last `take()` (thread-safe)."""

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights = dict(weights or {})  # term name -> weight, for the record's weighted total
        self._order: list[str] = []
        self._items: dict[str, tuple[Any, Any]] = {}  # conversation id -> (conversation, pending reward)
        self._terms: dict[str, dict[str, float]] = {}  # conversation id -> term name -> value
        self._lock = threading.Lock()

    def add(self, conversations: Sequence[Any], pending: Sequence[Any]) -> None:
        with self._lock:
            for conversation, p in zip(conversations, pending):
                if conversation.conversation_id not in self._items:
                    self._order.append(conversation.conversation_id)
                self._items[conversation.conversation_id] = (conversation, p)

    def note(self, term: str, conversations: Sequence[Any], values: Sequence[float | None]) -> None:
        with self._lock:
            for conversation, value in zip(conversations, values):
                number = math.nan if value is None else float(value)
                self._terms.setdefault(conversation.conversation_id, {})[term] = number

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            order, items, terms = self._order, self._items, self._terms
            self._order, self._items, self._terms = [], {}, {}
        return [conversation_record(*items[cid], terms.get(cid, {}), self.weights) for cid in order]


def conversation_record(conversation: Any, pending: Any, terms: dict[str, float],
                        weights: dict[str, float]) -> dict[str, Any]:
    """One finished conversation as a JSON-ready SimulationRun dict (labelled later by the writer)."""
    info = pending.info.model_copy(deep=True) if pending is not None and pending.nl_future is None else None
    terms = {**{n: terms[n] for n in weights if n in terms}, **terms}  # in the order of the weights
    valued = {name: v for name, v in terms.items() if not math.isnan(v)}
    total = sum(weights.get(name, 1.0) * v for name, v in valued.items()) if valued else None
    run = SimulationRun(
        id=conversation.conversation_id,
        task_id=conversation.task_id,
        domain=conversation.domain_name,
        trial=conversation.trial,
        messages=list(conversation.messages),
        termination_reason=conversation.termination_reason or TerminationReason.AGENT_ERROR,
        reward_info=info,  # None when the NL verdicts never came (the task term used 0)
        extra={
            "train_reward": total,
            "reward_terms": {name: (None if math.isnan(v) else v) for name, v in terms.items()},
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


def recording_reward_funcs(funcs: Sequence[Callable[..., Any]], buffer: ConversationBuffer) -> list[Callable]:
    """`funcs` (the task reward first), each noting its values in `buffer`; the first also adds the
    conversations. What each returns, its name and whether it is async stay as they were."""
    return [_recording(f, buffer, adds_conversations=i == 0) for i, f in enumerate(funcs)]


def _recording(inner: Callable[..., Any], buffer: ConversationBuffer, *, adds_conversations: bool):
    name = getattr(inner, "__name__", "reward")

    def keep(values: list[Any], kwargs: dict[str, Any]) -> None:
        conversations = kwargs.get("conversation")
        if conversations is None:
            return
        if adds_conversations:
            buffer.add(conversations, kwargs.get("reward_pending") or [None] * len(conversations))
        buffer.note(name, conversations, values)

    if inspect.iscoroutinefunction(inner):
        @functools.wraps(inner)
        async def recorded(*args: Any, **kwargs: Any) -> list[Any]:
            values = await inner(*args, **kwargs)
            keep(values, kwargs)
            return values
    else:
        @functools.wraps(inner)
        def recorded(*args: Any, **kwargs: Any) -> list[Any]:
            values = inner(*args, **kwargs)
            keep(values, kwargs)
            return values

    return recorded
