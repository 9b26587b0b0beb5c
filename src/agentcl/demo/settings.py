"""The offline demo's numbers: the run configuration it uses and its own preparation settings.

`DEMO_PRESET` is the `--preset demo` configuration (configs/demo.yaml, a flat mapping of run.py
flag names like any `--config` file): tiny model, scripted customer behind the local relay, offline LLM judge
through the async dispatcher, three short stages. `DemoSettings` are the steps before the
curriculum (generated data, task selection, warm start), which RunConfig does not describe.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..config import load_yaml, preset_path

DEMO_PRESET: dict[str, Any] = load_yaml(preset_path("demo"))  # configs/demo.yaml, used by `--preset demo`
DEMO_DOMAINS = tuple(d.get("name") or d["domain"] if isinstance(d, dict) else d for d in DEMO_PRESET["domains"])


def demo_preset() -> dict[str, Any]:
    return copy.deepcopy(DEMO_PRESET)


@dataclass
class DemoSettings:
    """Preparation before the curriculum: generated data, easy tasks, supervised warm start.

    `per_domain` overrides `num_tasks`, `task_groups` and `warm_start_tasks_per_domain` for one
    domain. The default keeps one kind of mock task (transfer to a human: no id to copy) with 300
    generated tasks, so mock has 12 held-out tasks; the warm start's 200 steps over the three
    domains' gold conversations (800 conversation passes, about 390 of them mock's) come near the
    110-step mock-only warm start of `bench/learning_curve.py` (440), which leaves room for GRPO to
    raise mock's held-out pass^1 (README, "Benchmarks").
    """

    num_tasks: int = 150  # tasks generated per domain (the generator's own train/test split)
    task_groups: int = 2  # per domain, keep the tasks of the N easiest kinds (by the gold solution's size)
    policy_sections: int | None = 1  # keep the policy's opening and first N sections (None: all of it)
    warm_start_tasks_per_domain: int = 30
    warm_start_steps: int = 200
    warm_start_batch_size: int = 4
    warm_start_learning_rate: float = 5e-3
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    per_domain: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        "mock": {"num_tasks": 300, "task_groups": 1, "warm_start_tasks_per_domain": 24},
    })

    def for_domain(self, domain: str) -> "DemoSettings":
        """These settings with `domain`'s overrides applied."""
        overrides = self.per_domain.get(domain, {})
        unknown = sorted(set(overrides) - {"num_tasks", "task_groups", "warm_start_tasks_per_domain"})
        if unknown:
            raise ValueError(f"DemoSettings.per_domain[{domain!r}]: unknown key(s) {', '.join(unknown)}")
        return dataclasses.replace(self, **overrides)

    @classmethod
    def fast(cls) -> "DemoSettings":
        """The same code path at test size (seconds, not minutes)."""
        return cls(num_tasks=40, task_groups=2, warm_start_tasks_per_domain=4, warm_start_steps=3,
                   warm_start_batch_size=2, per_domain={})


# The run configuration of the fast variant, applied on top of the demo preset.
# (The rollout limits stay: the demo's tasks are chosen as those solvable within them.)
FAST_OVERRIDES: dict[str, Any] = {"domains": list(DEMO_DOMAINS), "tasks_per_domain": 1, "eval_tasks_per_domain": 1, "eval_trials": 2,
                                  "num_generations": 2, "tasks_per_step": 1, "max_steps": 1, "save_steps": 1}
