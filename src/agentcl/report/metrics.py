"""Evaluation and continual-learning metrics, with their definitions.

Vocabulary
----------
* A *stage* is one step of the curriculum (a named task set, e.g. one domain). Stages are
  trained in order 1..T.
* An *evaluation phase* is a point where every stage's evaluation tasks are run:
  ``zero_shot`` (row 0, before any training) and ``after_stage_i`` (row i, after training
  stage i). Other phase names (e.g. ``train`` for training rollouts) are stored and summarised
  but never enter the accuracy matrix.
* Each evaluated conversation is a :class:`SimulationRun` whose typed ``phase`` and ``stage``
  fields are set (see :func:`label_run`) and keyed by
  ``"{phase}/{stage}/{domain}/{task_id}/trial{k}"`` (see :func:`make_run_id`).

Definitions (R[i][j] = performance on stage j after training stage i, row 0 = zero-shot)
--------------------------------------------------------------------------------------
* success: a run whose reward is >= 1 - 1e-6 (rewards are floats; a product of 1.0s may not be
  exactly 1). A run without a reward counts as reward 0.
* pass^k (k = 1..max trials): mean over tasks of C(s, k) / C(n, k), with n the task's trials and
  s its successes: the chance that k trials drawn without replacement all succeed. A task with
  fewer than k trials has no pass^k and is left out of that k's mean; if no task has k trials,
  pass^k is undefined. pass^1 is the success rate averaged per task.
* performance (an entry of R): pass^1 of the stage's runs in that phase. A reward matrix with
  the mean reward is reported beside it.
* average final performance: (1/T) * sum_j R[T][j].
* backward transfer (BWT): (1/(T-1)) * sum_{j<T} (R[T][j] - R[j][j]); negative = forgetting.
* forward transfer (FWT): (1/(T-1)) * sum_{j>=2} (R[j-1][j] - R[0][j]): how much training on
  the stages before j helped stage j before it was trained, against the zero-shot model.
* forgetting of stage j < T: max_{l=1..T-1} R[l][j] - R[T][j] (the best accuracy it ever had
  after some training stage, minus the final one); average forgetting is the mean over j < T.
Missing entries of R (a cell not evaluated) are None; each formula averages over the terms it
can compute and gives None when it has none (e.g. BWT, FWT and forgetting with T = 1).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

from ..data_model import SimulationRun

SUCCESS_TOLERANCE = 1e-6
ZERO_SHOT_PHASE = "zero_shot"
TRAIN_PHASE = "train"  # training conversations (the trainer's record callback labels them so)
_AFTER_STAGE = re.compile(r"^after_stage_(\d+)$")

Matrix = Sequence[Sequence["float | None"]]


# --- labels -------------------------------------------------------------------------------

def eval_phase(row: int) -> str:
    """Phase name of accuracy-matrix row `row`: 0 -> 'zero_shot', i -> 'after_stage_i'."""
    if not isinstance(row, int) or row < 0:
        raise ValueError(f"matrix row must be an int >= 0, got {row!r}")
    return ZERO_SHOT_PHASE if row == 0 else f"after_stage_{row}"


def phase_row(phase: str) -> int | None:
    """Accuracy-matrix row of an evaluation phase, or None for any other phase (e.g. 'train')."""
    if phase == ZERO_SHOT_PHASE:
        return 0
    match = _AFTER_STAGE.match(phase)
    return int(match.group(1)) if match and int(match.group(1)) >= 1 else None


def make_run_id(phase: str, stage: str, domain: str, task_id: str, trial: int) -> str:
    """The unique key of one conversation in a run directory's results."""
    for name, value in (("phase", phase), ("stage", stage), ("domain", domain)):
        if not value or "/" in value:
            raise ValueError(f"{name} must be a non-empty string without '/', got {value!r}")
    return f"{phase}/{stage}/{domain}/{task_id}/trial{int(trial)}"


def label_run(run: SimulationRun, *, phase: str, stage: str) -> SimulationRun:
    """A copy of `run` with its results key as id and its `phase` and `stage` set."""
    run_id = make_run_id(phase, stage, run.domain, run.task_id, run.trial)
    return run.model_copy(update={"id": run_id, "phase": phase, "stage": stage})


def run_phase(run: SimulationRun) -> str:
    return _label(run, "phase")


def run_stage(run: SimulationRun) -> str:
    return _label(run, "stage")


def _label(run: SimulationRun, key: str) -> str:
    value = getattr(run, key) or run.extra.get(key)  # extra: results written before the typed fields
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"run {run.id!r} has no {key}; label it with agentcl.report.metrics.label_run")


# --- rewards, successes, pass^k -----------------------------------------------------------

def run_reward(run: SimulationRun) -> float:
    """The run's task reward; a run that was never scored counts as 0."""
    return float(run.reward_info.reward) if run.reward_info is not None else 0.0


def is_success(reward: float) -> bool:
    return reward >= 1.0 - SUCCESS_TOLERANCE


def pass_hat_k(num_trials: int, num_successes: int, k: int) -> float | None:
    """C(s, k) / C(n, k) for one task; None when the task has fewer than k trials."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if num_trials < 0 or num_successes < 0 or num_successes > num_trials:
        raise ValueError(f"need 0 <= successes <= trials, got {num_successes} of {num_trials}")
    if num_trials < k:
        return None
    return math.comb(num_successes, k) / math.comb(num_trials, k)


def pass_k_curve(trials_and_successes: Iterable[tuple[int, int]], max_k: int | None = None) -> dict[int, float]:
    """pass^k for k = 1..max_k (default: the most trials of any task), per the module docstring.

    Takes one (trials, successes) pair per task; a k that no task reaches is left out.
    """
    pairs = list(trials_and_successes)
    if max_k is None:
        max_k = max((n for n, _ in pairs), default=0)
    curve: dict[int, float] = {}
    for k in range(1, max_k + 1):
        values = [v for n, s in pairs if (v := pass_hat_k(n, s, k)) is not None]
        if values:
            curve[k] = sum(values) / len(values)
    return curve


# --- usage (API cost and tokens) ----------------------------------------------------------

_PROMPT_KEYS = ("prompt_tokens", "input_tokens", "api_prompt_tokens")
_COMPLETION_KEYS = ("completion_tokens", "output_tokens", "api_completion_tokens")
_COST_KEYS = ("cost_usd", "cost", "api_cost_usd", "response_cost")
_CALL_KEYS = ("calls", "api_calls")


@dataclass
class Usage:
    """Tokens, calls and dollars spent on APIs (user simulator, judge)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: "Usage") -> "Usage":
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.calls += other.calls
        return self

    @classmethod
    def from_flat(cls, data: Mapping[str, Any]) -> "Usage":
        def first(keys: tuple[str, ...]) -> float:
            for key in keys:
                if isinstance(data.get(key), (int, float)):
                    return data[key]
            return 0

        return cls(int(first(_PROMPT_KEYS)), int(first(_COMPLETION_KEYS)), float(first(_COST_KEYS)),
                   int(first(_CALL_KEYS)))

    @classmethod
    def by_source(cls, run: SimulationRun) -> dict[str, "Usage"]:
        """run.extra['usage'] by source ({'user': ..., 'judge': ...}); a flat dict counts as 'user'."""
        return cls.sources_of(run.extra.get("usage"))

    @classmethod
    def sources_of(cls, raw: Any) -> dict[str, "Usage"]:
        """A run record's `extra["usage"]` value by source (see `by_source`)."""
        if not isinstance(raw, Mapping):
            return {}
        if any(isinstance(v, Mapping) for v in raw.values()):
            return {str(k): cls.from_flat(v) for k, v in raw.items() if isinstance(v, Mapping)}
        return {"user": cls.from_flat(raw)}

    @classmethod
    def from_run(cls, run: SimulationRun) -> "Usage":
        """Reads run.extra['usage']: either one flat dict of token/cost numbers, or a dict of
        such dicts by source (e.g. {'user': {...}, 'judge': {...}})."""
        total = cls()
        for usage in cls.by_source(run).values():
            total.add(usage)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": round(self.cost_usd, 8),
        }


# --- uncertainty ---------------------------------------------------------------------------

BOOTSTRAP_RESAMPLES = 2000


def bootstrap_interval(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the mean of `values` (None when there are none).

    Used over tasks: each value is one task's success rate, so a task's trials stay together and
    the interval reflects how much pass^1 would move with another draw of tasks. Seeded, so a
    report rebuilt from the same results prints the same interval.
    """
    values = list(values)
    if not values:
        return None
    import random

    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1.0 - level) / 2.0
    return means[int(tail * (resamples - 1))], means[int((1.0 - tail) * (resamples - 1))]


def intervals_apart(a: Sequence[float] | None, b: Sequence[float] | None) -> bool:
    """Whether two intervals exist and do not overlap."""
    return a is not None and b is not None and (a[0] > b[1] or b[0] > a[1])


# --- summaries of a set of runs -----------------------------------------------------------

@dataclass
class TaskOutcome:
    """All trials of one task within one (phase, stage) cell."""

    domain: str
    task_id: str
    rewards: list[float] = field(default_factory=list)
    terminations: Counter = field(default_factory=Counter)

    @property
    def trials(self) -> int:
        return len(self.rewards)

    @property
    def successes(self) -> int:
        return sum(is_success(r) for r in self.rewards)

    @property
    def mean_reward(self) -> float:
        return sum(self.rewards) / len(self.rewards) if self.rewards else 0.0

    def pass_k(self) -> dict[int, float]:
        return pass_k_curve([(self.trials, self.successes)])

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "task_id": self.task_id,
            "trials": self.trials,
            "successes": self.successes,
            "mean_reward": self.mean_reward,
            "pass_k": {str(k): v for k, v in self.pass_k().items()},
            "termination_counts": dict(sorted(self.terminations.items())),
        }


@dataclass
class RunSetSummary:
    """Metrics of one set of runs (typically one phase x stage cell)."""

    runs: int
    unscored_runs: int
    average_reward: float | None
    success_rate: float | None  # successes / runs, over runs (not per task)
    pass_k: dict[int, float]
    termination_counts: dict[str, int]
    usage: Usage
    tasks: list[TaskOutcome]
    usage_by_source: dict[str, Usage] = field(default_factory=dict)

    @property
    def performance(self) -> float | None:
        """The value that goes into the accuracy matrix: pass^1."""
        return self.pass_k.get(1)

    @cached_property
    def pass1_interval(self) -> tuple[float, float] | None:
        """95% bootstrap interval of pass^1 over tasks (None without tasks); computed once."""
        return bootstrap_interval([t.successes / t.trials for t in self.tasks if t.trials])

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "tasks": len(self.tasks),
            "unscored_runs": self.unscored_runs,
            "average_reward": self.average_reward,
            "success_rate": self.success_rate,
            "pass_k": {str(k): v for k, v in self.pass_k.items()},
            "pass1_ci95": list(interval) if (interval := self.pass1_interval) else None,
            "termination_counts": self.termination_counts,
            "usage": self.usage.to_json(),
            "per_task": [t.to_json() for t in self.tasks],
        }


def summarize_runs(runs: Iterable[SimulationRun]) -> RunSetSummary:
    runs = list(runs)
    by_task: dict[tuple[str, str], TaskOutcome] = {}
    usage = Usage()
    usage_by_source: dict[str, Usage] = {}
    terminations: Counter = Counter()
    unscored = 0
    for run in runs:
        outcome = by_task.setdefault((run.domain, run.task_id), TaskOutcome(run.domain, run.task_id))
        outcome.rewards.append(run_reward(run))
        reason = run.termination_reason.value
        outcome.terminations[reason] += 1
        terminations[reason] += 1
        unscored += run.reward_info is None
        for source, spent in Usage.by_source(run).items():
            usage.add(spent)
            usage_by_source.setdefault(source, Usage()).add(spent)
    rewards = [r for t in by_task.values() for r in t.rewards]
    tasks = sorted(by_task.values(), key=lambda t: (t.domain, _natural_key(t.task_id)))
    return RunSetSummary(
        runs=len(runs),
        unscored_runs=unscored,
        average_reward=sum(rewards) / len(rewards) if rewards else None,
        success_rate=sum(map(is_success, rewards)) / len(rewards) if rewards else None,
        pass_k=pass_k_curve((t.trials, t.successes) for t in tasks),
        termination_counts=dict(sorted(terminations.items())),
        usage=usage,
        tasks=tasks,
        usage_by_source=usage_by_source,
    )


def _natural_key(text: str) -> tuple:
    """Sort 'task_2' before 'task_10'."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


# --- continual-learning formulas on the accuracy matrix ----------------------------------

def _check_matrix(matrix: Matrix) -> int:
    """Returns T; R must have T+1 rows (zero-shot + one per stage) of T columns."""
    num_stages = len(matrix) - 1
    if num_stages < 1:
        raise ValueError(f"accuracy matrix needs a zero-shot row and >= 1 stage row, got {len(matrix)} rows")
    for i, row in enumerate(matrix):
        if len(row) != num_stages:
            raise ValueError(f"accuracy matrix row {i} has {len(row)} columns; expected {num_stages} (one per stage)")
    return num_stages


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def average_final_performance(matrix: Matrix) -> float | None:
    """(1/T) sum_j R[T][j]."""
    T = _check_matrix(matrix)
    return _mean(matrix[T])


def backward_transfer(matrix: Matrix) -> float | None:
    """(1/(T-1)) sum_{j<T} (R[T][j] - R[j][j]), stages numbered from 1 (rows from 0 = zero-shot)."""
    T = _check_matrix(matrix)
    return _mean(_diff(matrix[T][j - 1], matrix[j][j - 1]) for j in range(1, T))


def forward_transfer(matrix: Matrix) -> float | None:
    """(1/(T-1)) sum_{j=2..T} (R[j-1][j] - R[0][j])."""
    T = _check_matrix(matrix)
    return _mean(_diff(matrix[j - 1][j - 1], matrix[0][j - 1]) for j in range(2, T + 1))


def forgetting_per_stage(matrix: Matrix) -> list[float | None]:
    """For stages j = 1..T-1: max_{l=1..T-1} R[l][j] - R[T][j] (None where not computable)."""
    T = _check_matrix(matrix)
    out: list[float | None] = []
    for j in range(1, T):
        earlier = [matrix[l][j - 1] for l in range(1, T) if matrix[l][j - 1] is not None]
        out.append(_diff(max(earlier), matrix[T][j - 1]) if earlier else None)
    return out


def average_forgetting(matrix: Matrix) -> float | None:
    return _mean(forgetting_per_stage(matrix))


@dataclass
class AccuracyMatrix:
    """R with its labels: rows = eval phases (zero-shot, after stage 1..T), columns = stages."""

    stages: list[str]
    values: list[list[float | None]]

    @property
    def row_labels(self) -> list[str]:
        return [eval_phase(i) for i in range(len(self.stages) + 1)]

    def continual_metrics(self) -> dict[str, Any]:
        forgetting = forgetting_per_stage(self.values)
        return {
            "average_final_performance": average_final_performance(self.values),
            "backward_transfer": backward_transfer(self.values),
            "forward_transfer": forward_transfer(self.values),
            "average_forgetting": _mean(forgetting),
            "forgetting_per_stage": dict(zip(self.stages[:-1], forgetting)),
        }

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.row_labels, "columns": list(self.stages), "values": self.values}


def build_matrices(
    summaries: Mapping[tuple[str, str], RunSetSummary], stages: Sequence[str]
) -> tuple[AccuracyMatrix, AccuracyMatrix]:
    """(accuracy = pass^1, mean reward) matrices from per-(phase, stage) summaries."""
    T = len(stages)
    acc: list[list[float | None]] = [[None] * T for _ in range(T + 1)]
    rew: list[list[float | None]] = [[None] * T for _ in range(T + 1)]
    column = {name: j for j, name in enumerate(stages)}
    for (phase, stage), summary in summaries.items():
        row = phase_row(phase)
        if row is None or row > T or stage not in column:
            continue
        acc[row][column[stage]] = summary.performance
        rew[row][column[stage]] = summary.average_reward
    return AccuracyMatrix(list(stages), acc), AccuracyMatrix(list(stages), rew)


# --- the whole metrics.json ---------------------------------------------------------------

DEFINITIONS = {
    "success": "reward >= 1 - 1e-6; an unscored run counts as reward 0",
    "pass^k": "mean over tasks of C(successes, k) / C(trials, k); tasks with < k trials are left out",
    "R[i][j]": "pass^1 on stage j after training stage i; row 0 = zero-shot (before any training)",
    "average_final_performance": "(1/T) sum_j R[T][j]",
    "backward_transfer": "(1/(T-1)) sum_{j<T} (R[T][j] - R[j][j])",
    "forward_transfer": "(1/(T-1)) sum_{j=2..T} (R[j-1][j] - R[0][j])",
    "forgetting": "for j<T: max_{l=1..T-1} R[l][j] - R[T][j]; averaged over j<T",
    "pass1_ci95": "95% percentile bootstrap interval of pass^1, resampling evaluation tasks (2000 resamples, seed 0)",
    "learning": "per stage: pass^1 zero-shot and after training that stage, with pass1_ci95; separate = no overlap",
    "usage": "API calls, tokens and cost (user simulator, judge): the sum of run.extra['usage'] over the "
             "conversations (phase 'train': training; every other phase: evaluation); a stage with no training "
             "conversations takes its training figures from the training-step log (api_* keys)",
}


def learning_by_stage(summaries: Mapping[tuple[str, str], RunSetSummary], stages: Sequence[str]) -> list[dict[str, Any]]:
    """Per trained stage: pass^1 on its held-out evaluation tasks before any training (zero-shot)
    and after training it, each with its 95% bootstrap interval over tasks; `separate` says the
    two intervals do not overlap (the gain is larger than the task-sampling noise)."""
    rows = []
    for j, stage in enumerate(stages, start=1):
        before, after = summaries.get((ZERO_SHOT_PHASE, stage)), summaries.get((eval_phase(j), stage))
        if before is None or after is None or before.performance is None or after.performance is None:
            continue
        rows.append({"stage": stage, "before": before.performance, "before_ci95": before.pass1_interval,
                     "after": after.performance, "after_ci95": after.pass1_interval,
                     "gain": after.performance - before.performance, "tasks": len(after.tasks),
                     "separate": intervals_apart(before.pass1_interval, after.pass1_interval)})
    return rows


def group_runs(runs: Iterable[SimulationRun]) -> dict[tuple[str, str], list[SimulationRun]]:
    """Runs by (phase, stage), in first-seen order."""
    groups: dict[tuple[str, str], list[SimulationRun]] = {}
    for run in runs:
        groups.setdefault((run_phase(run), run_stage(run)), []).append(run)
    return groups


def phase_sort_key(phase: str) -> tuple:
    row = phase_row(phase)
    return (0, row, "") if row is not None else (1, 0, phase)


def training_usage(steps: Iterable[Mapping[str, Any]]) -> dict[str, Usage]:
    """API usage per stage from training-step log dicts (keys api_prompt_tokens,
    api_completion_tokens, api_cost_usd)."""
    out: dict[str, Usage] = {}
    for step in steps:
        stage = str(step.get("stage", "?"))
        out.setdefault(stage, Usage()).add(
            Usage(
                int(step.get("api_prompt_tokens") or 0),
                int(step.get("api_completion_tokens") or 0),
                float(step.get("api_cost_usd") or 0.0),
            )
        )
    return out


def training_summary(steps: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per stage: number of steps, first/last/mean of reward_mean."""
    out: dict[str, dict[str, Any]] = {}
    for stage in dict.fromkeys(str(s.get("stage", "?")) for s in steps):
        rewards = [float(s["reward_mean"]) for s in steps if str(s.get("stage", "?")) == stage and s.get("reward_mean") is not None]
        out[stage] = {
            "steps": sum(1 for s in steps if str(s.get("stage", "?")) == stage),
            "reward_mean_first": rewards[0] if rewards else None,
            "reward_mean_last": rewards[-1] if rewards else None,
            "reward_mean_average": sum(rewards) / len(rewards) if rewards else None,
        }
    return out


def replay_summary(runs: Iterable[SimulationRun]) -> dict[str, dict[str, Any]]:
    """Per training stage with replay: its training conversations, how many were on replayed
    earlier-stage tasks, and from which stages ({} when nothing was replayed)."""
    totals: Counter = Counter()
    replayed: dict[str, Counter] = {}
    for run in runs:
        if run.phase != "train":
            continue
        stage = run_stage(run)
        totals[stage] += 1
        if run.replayed_from is not None:
            replayed.setdefault(stage, Counter())[run.replayed_from] += 1
    return {stage: {"training_conversations": totals[stage], "replayed_conversations": sum(c.values()),
                    "replayed_share": sum(c.values()) / totals[stage], "replayed_from": dict(c)}
            for stage, c in replayed.items()}


def compute_metrics(
    runs: Iterable[SimulationRun],
    stages: Sequence[str],
    training_steps: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Everything metrics.json holds. `stages` is the curriculum order (stage names)."""
    stages = list(stages)
    if len(set(stages)) != len(stages):
        raise ValueError(f"stage names must be unique, got {stages}")
    runs = list(runs)
    groups = group_runs(runs)
    summaries = {key: summarize_runs(group) for key, group in groups.items()}
    accuracy, reward = build_matrices(summaries, stages) if stages else (None, None)

    evaluations = []
    by_phase: dict[str, Usage] = {}
    by_stage_eval: dict[str, Usage] = {}
    train_from_runs: dict[str, Usage] = {}
    by_source: dict[str, Usage] = {}
    terminations_by_phase: dict[str, Counter] = {}
    for (phase, stage) in sorted(summaries, key=lambda k: (phase_sort_key(k[0]), _stage_order(k[1], stages))):
        summary = summaries[(phase, stage)]
        evaluations.append({"phase": phase, "phase_row": phase_row(phase), "stage": stage, **summary.to_json()})
        by_phase.setdefault(phase, Usage()).add(summary.usage)
        if phase == TRAIN_PHASE:
            train_from_runs.setdefault(stage, Usage()).add(summary.usage)
        else:
            by_stage_eval.setdefault(stage, Usage()).add(summary.usage)
        for source, usage in summary.usage_by_source.items():
            by_source.setdefault(source, Usage()).add(usage)
        terminations_by_phase.setdefault(phase, Counter()).update(summary.termination_counts)

    train_usage = training_usage(training_steps)  # only for stages without training conversations
    train_usage.update(train_from_runs)
    all_stage_names = list(dict.fromkeys([*stages, *by_stage_eval, *train_usage]))
    usage_by_stage = {}
    total = Usage()
    for name in all_stage_names:
        ev, tr = by_stage_eval.get(name, Usage()), train_usage.get(name, Usage())
        both = Usage().add(ev).add(tr)
        total.add(both)
        usage_by_stage[name] = {"training": tr.to_json(), "evaluation": ev.to_json(), "total": both.to_json()}

    return {
        "format": "agentcl.metrics/1",
        "definitions": DEFINITIONS,
        "stages": stages,
        "performance_measure": "pass^1",
        "success_threshold": 1.0 - SUCCESS_TOLERANCE,
        "accuracy_matrix": accuracy.to_json() if accuracy else None,
        "reward_matrix": reward.to_json() if reward else None,
        "continual": accuracy.continual_metrics() if accuracy else None,
        "learning": learning_by_stage(summaries, stages),
        "evaluations": evaluations,
        "termination_counts_by_phase": {p: dict(sorted(c.items())) for p, c in terminations_by_phase.items()},
        "training": training_summary(list(training_steps)),
        "replay": replay_summary(runs),
        "usage": {
            "by_stage": usage_by_stage,
            "by_phase": {p: u.to_json() for p, u in by_phase.items()},
            "evaluation_by_phase": {p: u.to_json() for p, u in by_phase.items() if p != TRAIN_PHASE},
            "by_source": {s: u.to_json() for s, u in by_source.items()},
            "total": total.to_json(),
        },
        "totals": {
            "runs": sum(s.runs for s in summaries.values()),
            "unscored_runs": sum(s.unscored_runs for s in summaries.values()),
            "training_steps": len(training_steps),
        },
    }


def _stage_order(stage: str, stages: Sequence[str]) -> tuple:
    return (stages.index(stage), "") if stage in stages else (len(stages), stage)
