"""The run's API budget: `--max-api-cost-usd X` and `--max-api-tokens N`.

`ApiBudget` holds the limits and the running total of the run's API spend (user simulator and
judge, every process: callers charge it with figures that are already the sum over processes,
e.g. a step's conversations after they were gathered). The total starts from what the run
directory's conversations already spent, so a resumed run counts from where it stopped.

The budget never interrupts a step: the trainer's record callback charges it after each optimizer
step (the step's conversations saved) and, once it is spent, asks the trainer to save a checkpoint
and stop; the stage loop charges it after each evaluation phase and checks it before each stage
and phase. The loop then writes results, metrics and the report and raises `BudgetExhausted`,
which the command line turns into exit code `BUDGET_EXIT_CODE`. `--resume` with a larger budget
continues from the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import AgentclError
from ..report.metrics import Usage

BUDGET_EXIT_CODE = 3  # distinct from 0 (done), 1 (a crash; check-data: a failing task) and 2 (`error:`)


class BudgetExhausted(AgentclError):
    """The run's API budget is spent; everything done so far is saved and `--resume` continues."""

    exit_code = BUDGET_EXIT_CODE


@dataclass
class ApiBudget:
    max_cost_usd: float | None = None
    max_tokens: int | None = None
    spent: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        if self.max_cost_usd is not None and self.max_cost_usd < 0:
            raise ValueError(f"--max-api-cost-usd must be >= 0, got {self.max_cost_usd}")
        if self.max_tokens is not None and self.max_tokens < 0:
            raise ValueError(f"--max-api-tokens must be >= 0, got {self.max_tokens}")

    @property
    def limited(self) -> bool:
        return self.max_cost_usd is not None or self.max_tokens is not None

    def charge(self, usage: Usage) -> bool:
        """Add `usage` to the running total; True when the budget is now spent."""
        self.spent.add(usage)
        return self.exhausted

    @property
    def exhausted(self) -> bool:
        """The running total has reached a limit (a step that would pass it is the last one)."""
        return bool((self.max_cost_usd is not None and self.spent.cost_usd >= self.max_cost_usd)
                    or (self.max_tokens is not None and self.spent.total_tokens >= self.max_tokens))

    def describe(self) -> str:
        limits = []
        if self.max_cost_usd is not None:
            limits.append(f"${self.spent.cost_usd:.4f} of --max-api-cost-usd {self.max_cost_usd:g}")
        if self.max_tokens is not None:
            limits.append(f"{self.spent.total_tokens} of --max-api-tokens {self.max_tokens} tokens")
        return ", ".join(limits) or f"${self.spent.cost_usd:.4f}, {self.spent.total_tokens} tokens (no limit)"

    def stop_message(self, where: str) -> str:
        return (f"API budget spent {where}: {self.describe()}. Results, metrics, report and the last checkpoint "
                f"are saved; rerun with --resume and a larger budget to continue")
