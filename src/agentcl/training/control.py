"""The control arm of a learning experiment: rewards that carry no information about the behaviour.

`shuffled_reward_fn(inner, seed)` wraps a TRL reward function: it computes the real rewards of the
batch and hands them back permuted across the batch (this process's slice: every group of the
step). Everything else stays identical to the real arm — the same rollouts, the same reward
distribution per step, the same number and size of updates — but the reward a conversation gets
is another conversation's, so its group-relative advantage is independent of what the agent did
in it: in expectation each conversation's advantage is zero. A gain measured in the real arm and
not in this one comes from the reward signal, not from the warm start settling or from updates
of any kind.
"""

from __future__ import annotations

import inspect
import random
from typing import Any, Callable


def shuffled_reward_fn(inner: Callable[..., Any], seed: int = 0):
    """`inner`'s rewards, permuted across the batch with a seeded generator (sync or async `inner`)."""
    rng = random.Random(seed)

    async def shuffled(*args: Any, **kwargs: Any) -> list[float]:
        values = inner(*args, **kwargs)
        if inspect.isawaitable(values):
            values = await values
        order = list(range(len(values)))
        rng.shuffle(order)
        return [values[i] for i in order]

    shuffled.__name__ = getattr(inner, "__name__", "reward")  # TRL logs it under the same name
    return shuffled
