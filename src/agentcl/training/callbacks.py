"""Trainer callback that writes a stage's training record: conversations and per-step metrics.

Every process rolls out its own shard, so after each optimizer step all processes gather their
finished conversations (a collective call: every rank runs it) and only the main process writes:
- each conversation as a SimulationRun in the run's results journal, phase "train", with the
  group-relative advantage TRL gave it;
- one entry per logged step in the training log: reward mean/std, each reward term's mean, loss,
  KL, learning rate, the advantage statistics, the judge figures, the step's rollout terminations
  and its API spend (`api_calls`, `api_prompt_tokens`, `api_completion_tokens`, `api_cost_usd`, all
  processes) with the run's running total (`api_run_tokens`, `api_run_cost_usd`), also logged to
  TRL's metrics as `api/...`.

After the step's conversations are saved, the run's API budget (agentcl.llm.budget) is charged with
the step's spend; once it is spent the callback asks the trainer to save a checkpoint and stop
(`stopped_by_budget`), on every rank alike (the figures come from the gathered records).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

from ..report.metrics import TRAIN_PHASE
from .rewards import ConversationBuffer

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ..report.metrics import Usage

# TRL metric name -> training-log key
_LOG_KEYS = {
    "reward": "reward_mean",
    "reward_std": "reward_std",
    "loss": "loss",
    "kl": "kl",
    "learning_rate": "learning_rate",
    "grad_norm": "grad_norm",
    "entropy": "entropy",
    "frac_reward_zero_std": "frac_groups_zero_std",
    "completions/mean_length": "model_tokens_mean",
    "step_time": "step_time_s",
}  # and each reward term's rewards/<term>/mean as reward_<term>_mean


def records_usage(records: list[dict[str, Any]]) -> "Usage":
    """The API spend of conversation records (SimulationRun dicts with extra["usage"])."""
    from ..report.metrics import Usage

    total = Usage()
    for record in records:
        for spent in Usage.sources_of((record.get("extra") or {}).get("usage")).values():
            total.add(spent)
    return total


def _usage_entry(step: "Usage", run_total: "Usage") -> dict[str, float]:
    """Training-log keys: this step's API spend (all processes) and the run's running total."""
    return {"api_calls": step.calls, "api_prompt_tokens": step.prompt_tokens,
            "api_completion_tokens": step.completion_tokens, "api_cost_usd": step.cost_usd,
            "api_run_tokens": run_total.total_tokens, "api_run_cost_usd": run_total.cost_usd}


def _stats(values: list[float]) -> dict[str, float]:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return {}
    mean = sum(values) / len(values)
    return {"mean": mean, "abs_mean": sum(abs(v) for v in values) / len(values), "min": min(values),
            "max": max(values)}


class TrainingRecordCallback(TrainerCallback):
    """Gathers conversations after each step; the main process writes them and the step log."""

    def __init__(self, *, stage: str, run_dir: str | Path | None, buffer: ConversationBuffer, accelerator,
                 num_generations: int, step_offset: int = 0, max_user_error_share: float | None = None,
                 replayed_from: dict[tuple[str, str], str] | None = None, budget=None):
        self.stage = stage
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.buffer = buffer
        self.accelerator = accelerator
        self.num_generations = num_generations
        self.step_offset = step_offset
        self.replayed_from = dict(replayed_from or {})  # (domain, task id) -> earlier stage (replay)
        self.trainer = None  # set by the builder: TRL keeps the step's advantages on the trainer
        self.steps: list[dict[str, Any]] = []  # what was logged, on the main process
        self.runs_written = 0
        self._pending_step: dict[str, Any] = {}
        self._store = None
        self._log = None
        from .endpoint_health import UserErrorGuard

        self.user_error_guard = UserErrorGuard(max_user_error_share)
        from ..llm.budget import ApiBudget

        self.budget = budget if budget is not None else ApiBudget()  # the run's running API total and limits
        self.stopped_by_budget = False

    # -- writers (main process only) ---------------------------------------------------------
    def _writers(self):
        if self._store is None and self.run_dir is not None:
            from ..report.results_store import ResultsStore, TrainingLog

            self._store, self._log = ResultsStore(self.run_dir), TrainingLog(self.run_dir)
        return self._store, self._log

    def _advantages(self) -> list[float]:
        logs = getattr(self.trainer, "_logs", None)  # TRL 1.16: the last generation batch, all processes
        if not logs or "advantages" not in logs:
            return []
        return [float(a) for a in logs["advantages"]]

    # -- hooks ---------------------------------------------------------------------------------
    def on_step_end(self, args, state, control, **kwargs):
        from accelerate.utils import gather_object

        records = self.buffer.take()
        if self.accelerator.num_processes > 1:
            records = gather_object(records)  # rank order = TRL's global sample order
        step_usage = records_usage(records)  # every process's conversations: the same figures on every rank
        spent = self.budget.charge(step_usage)
        self._log_usage(step_usage)
        if spent and not self.stopped_by_budget:
            # this step's conversations are saved below; the trainer saves a checkpoint and stops
            self.stopped_by_budget = control.should_save = control.should_training_stop = True
            if self.accelerator.is_main_process:
                log.warning("stage %s step %d: %s", self.stage, state.global_step + self.step_offset,
                            self.budget.stop_message("after this step"))
        if not self.accelerator.is_main_process:
            self._check_user_errors(records, state.global_step)  # every rank stops on the same step
            return control
        from ..report.metrics import label_run
        from ..data_model import SimulationRun

        advantages = self._advantages()
        step = state.global_step
        seen: Counter = Counter()
        runs = []
        for index, record in enumerate(records):
            run = SimulationRun.model_validate(record)
            key = (run.domain, run.task_id)
            # unique per stage: the step's G conversations of a task get trials (step-1)*G + 0..G-1
            trial = (step - 1) * self.num_generations + seen[key]
            seen[key] += 1
            extra = {**run.extra, "train_step": step + self.step_offset, "conversation_id": run.id}
            if len(advantages) == len(records):
                extra["advantage"] = advantages[index]
            update = {"trial": trial, "extra": extra, "replayed_from": self.replayed_from.get(key)}
            runs.append(label_run(run.model_copy(update=update),
                                  phase=TRAIN_PHASE, stage=self.stage))
        terminations = Counter(r.termination_reason.value for r in runs)
        self._pending_step = {
            "conversations": len(runs),
            "terminations": dict(terminations),
            **_usage_entry(step_usage, self.budget.spent),
            **{f"advantage_{k}": v for k, v in _stats(advantages).items()},
        }
        store, _ = self._writers()
        if store is not None and runs:
            store.add(runs)
            self.runs_written += len(runs)
        self._check_user_errors(records, state.global_step)  # after the step's conversations are saved
        return control

    def _log_usage(self, step: "Usage") -> None:
        """The step's API spend and the run's running total beside TRL's own metrics (tensorboard, wandb)."""
        metrics = getattr(self.trainer, "_metrics", None)  # TRL 1.16: averaged and cleared at each log
        if not isinstance(metrics, dict) or "train" not in metrics:
            return
        for key, value in _usage_entry(step, self.budget.spent).items():
            metrics["train"][key.replace("api_", "api/", 1)].append(float(value))

    def _check_user_errors(self, records: list[dict[str, Any]], step: int) -> None:
        reasons = [str(getattr(r.get("termination_reason"), "value", r.get("termination_reason"))) for r in records]
        self.user_error_guard.check(reasons, step=step + self.step_offset, stage=self.stage)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.accelerator.is_main_process or not logs or "loss" not in logs:
            return control  # the end-of-training summary has no "loss" per step
        entry: dict[str, Any] = {"step": state.global_step + self.step_offset, "stage": self.stage,
                                 "stage_step": state.global_step}
        for key, name in _LOG_KEYS.items():
            if logs.get(key) is not None:  # TRL logs None for a metric with no valid value
                entry[name] = float(logs[key])
        for key, value in logs.items():
            if value is None:
                continue
            if key.startswith("judge/"):  # (api/ keys: exact per-step sums below)
                entry[key.replace("/", "_")] = float(value)
            elif key.startswith("rewards/") and key.endswith("/mean"):  # one per reward term
                entry[f"reward_{key.split('/')[1]}_mean"] = float(value)
        entry.update(self._pending_step)
        self.steps.append(entry)
        _, training_log = self._writers()
        if training_log is not None:
            training_log.add([entry])
        log.info("stage %s step %d: reward %.3f (std %.3f), loss %.4g, advantages |mean| %.3f",
                 self.stage, state.global_step, entry.get("reward_mean", float("nan")),
                 entry.get("reward_std", float("nan")), entry.get("loss", float("nan")),
                 entry.get("advantage_abs_mean", float("nan")))
        return control
