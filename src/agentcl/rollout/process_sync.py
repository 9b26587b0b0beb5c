"""The cross-process collectives the rollout engine needs when generation is shared by processes.

A generation backend whose `generate` is a collective (TRL's vLLM server mode gathers every
process's prompts, generates them on the main process and scatters the results back) must be
called the same number of times by every process, while each process's conversations need a
different number of agent rounds. The engine then keeps its rounds in step: each round every
process reports whether it still has a conversation running (`any_process`), and they all stop
only when none has.

These are thin wrappers over `torch.distributed` (any backend: gloo, nccl); in a single process,
or before a process group exists, they act on the local value alone.
"""

from __future__ import annotations

from typing import Any


def world_size() -> int:
    """Processes in the default process group (1 when there is none)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return 1
    return dist.get_world_size()


def gather_objects(value: Any) -> list[Any]:
    """Every process's `value` (picklable), in rank order, on every process."""
    import torch.distributed as dist

    if world_size() == 1:
        return [value]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, value)
    return gathered


def any_process(flag: bool) -> bool:
    """True on every process when `flag` is true on at least one."""
    return any(gather_objects(bool(flag)))
