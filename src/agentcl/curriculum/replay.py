"""Replay (rehearsal): the order of a stage's training tasks when it mixes in earlier stages' tasks.

`replay_schedule` lays out one row per task slot of the stage, `steps x tasks_per_step` rows in
batch order: batch b (the tasks of optimizer step b+1) holds `floor((b+1)·n·r) − floor(b·n·r)`
replayed tasks (n = tasks_per_step, r = the replay ratio), so every batch holds ⌊n·r⌋ or ⌈n·r⌉ of
them and the whole stage exactly round-down(steps·n·r). Own tasks and replayed tasks are each
drawn in a shuffled cycle (a fresh permutation per pass, from `seed`), so every task is seen
equally often. The replayed pool is every earlier stage's training tasks.

The trainer must keep this order (`StageSpec.ordered`: TRL's dataset shuffle off); TRL repeats
each row G times, so batch b's tasks are exactly the rows of step b+1.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Iterator, Sequence


@dataclass(frozen=True)
class ScheduledTask:
    domain: str
    task_id: str
    replayed_from: str | None = None  # the earlier stage this task belongs to; None: the stage's own


def _cycle(items: Sequence[ScheduledTask], rng: random.Random) -> Iterator[ScheduledTask]:
    while True:
        order = list(items)
        rng.shuffle(order)
        yield from order


def replayed_per_batch(steps: int, tasks_per_step: int, ratio: float) -> list[int]:
    """How many replayed tasks each of `steps` batches of `tasks_per_step` holds (exact running share)."""
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"replay ratio must be in [0, 1), got {ratio}")
    share = tasks_per_step * ratio
    # a tiny epsilon so 0.3 x 10 counts as 3, not 2.9999999999999996
    return [math.floor((b + 1) * share + 1e-9) - math.floor(b * share + 1e-9) for b in range(steps)]


def replay_schedule(own: Sequence[tuple[str, str]], earlier: Sequence[ScheduledTask], *, ratio: float,
                    steps: int, tasks_per_step: int, seed: int) -> list[ScheduledTask]:
    """`steps x tasks_per_step` task slots in batch order; see the module docstring."""
    if not own:
        raise ValueError("a stage needs at least one training task of its own")
    counts = replayed_per_batch(steps, tasks_per_step, ratio if earlier else 0.0)
    rng = random.Random(seed)
    own_cycle = _cycle([ScheduledTask(d, t) for d, t in own], rng)
    replay_cycle = _cycle(list(earlier), rng) if earlier else iter(())
    rows: list[ScheduledTask] = []
    for replayed in counts:
        batch = [next(replay_cycle) for _ in range(replayed)]
        batch += [next(own_cycle) for _ in range(tasks_per_step - replayed)]
        rng.shuffle(batch)  # replayed tasks are not always first in a batch (or on rank 0)
        rows += batch
    return rows
