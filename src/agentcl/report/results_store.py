"""Durable, resumable storage of a run's conversations and training-step logs.

Usage by the curriculum runner (only the main process writes)::

    write_curriculum(run_dir, ["mock", "airline"])   # raises if a resumed dir had other stages
    store = ResultsStore(run_dir)
    done = store.done_ids()                          # skip these when (re)running an evaluation
    store.add([label_run(run, phase=eval_phase(i), stage=name) for run in finished_runs])
    steps = TrainingLog(run_dir); steps.add([{"step": 12, "stage": "mock", "reward_mean": 0.4}])
    store.finalize()                                 # results.json, atomically

Every conversation is a `SimulationRun` whose id is its unique key (see
`agentcl.report.metrics.make_run_id`); a key written twice is kept once, the last copy.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from pydantic import ValidationError

from ..data_model import SimulationRun
from ..errors import DataError
from ..secrets import redact
from . import layout
from .journal import JsonlJournal, atomic_write_text

RESULTS_FORMAT = "agentcl.results/1"


# --- curriculum plan ----------------------------------------------------------------------

def write_curriculum(run_dir: str | Path, stages: Sequence[str]) -> list[str]:
    """Record the ordered stage names; on resume, insist they are the same as before."""
    stages = [str(s) for s in stages]
    if not stages or len(set(stages)) != len(stages):
        raise ValueError(f"stages must be a non-empty list of unique names, got {stages}")
    existing = read_curriculum(run_dir)
    if existing is not None:
        if existing != stages:
            raise DataError(
                f"this run directory was started with stages {existing}; refusing to resume with {stages}",
                path=Path(run_dir) / layout.CURRICULUM_JSON,
            )
        return existing
    atomic_write_text(Path(run_dir) / layout.CURRICULUM_JSON, json.dumps({"stages": stages}, indent=2) + "\n")
    return stages


def read_curriculum(run_dir: str | Path) -> list[str] | None:
    path = Path(run_dir) / layout.CURRICULUM_JSON
    if not path.exists():
        return None
    try:
        stages = json.loads(path.read_text(encoding="utf-8"))["stages"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"expected {{\"stages\": [names...]}} ({exc})", path=path) from exc
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        raise DataError("'stages' must be a list of names", path=path)
    return stages


# --- conversations ------------------------------------------------------------------------

class ResultsStore:
    """Conversations of one run directory: journal while running, results.json at the end."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.journal = JsonlJournal(self.run_dir / layout.RESULTS_JOURNAL, key_of=lambda record: record["id"])

    def add(self, runs: Iterable[SimulationRun]) -> int:
        """Append finished conversations durably (one fsync per call: pass a batch)."""
        records = []
        for run in runs:
            if not isinstance(run, SimulationRun):
                raise TypeError(f"expected SimulationRun, got {type(run).__name__}")
            records.append(run.model_dump(mode="json"))
        return self.journal.append(records)

    def done_ids(self) -> set[str]:
        """Ids of every conversation already stored (a resumed evaluation skips them)."""
        return self.journal.keys()

    def runs(self) -> list[SimulationRun]:
        """Stored conversations, one per id (the last copy), in first-written order."""
        out = []
        for record in self.journal.records():
            try:
                out.append(SimulationRun.model_validate(record))
            except ValidationError as exc:
                raise DataError(f"run {record.get('id')!r} is not a valid SimulationRun: {exc}", path=self.journal.path) from exc
        return out

    def finalize(self, info: Mapping[str, Any] | None = None) -> Path:
        """Write results.json (atomically) from the journal. `info` (free-form, JSON-able) goes
        into its "info" field; when None, the info of an existing results.json is kept."""
        path = self.run_dir / layout.RESULTS_JSON
        if info is None and path.exists():
            try:
                info = json.loads(path.read_text(encoding="utf-8")).get("info")
            except (json.JSONDecodeError, AttributeError):
                info = None
        return write_results_json(path, self.runs(), read_curriculum(self.run_dir), info)


def write_results_json(
    path: str | Path,
    runs: Sequence[SimulationRun],
    stages: Sequence[str] | None = None,
    info: Mapping[str, Any] | None = None,
) -> Path:
    ids = [run.id for run in runs]
    if len(set(ids)) != len(ids):
        raise ValueError("results.json must hold each run id once; de-duplicate first (ResultsStore.runs does)")
    document = {
        "format": RESULTS_FORMAT,
        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "stages": list(stages) if stages is not None else None,
        "info": dict(info or {}),
        "num_simulations": len(runs),
        "simulations": [run.model_dump(mode="json") for run in runs],
    }
    return atomic_write_text(path, redact(json.dumps(document, ensure_ascii=False, indent=1)) + "\n")


def load_results(path: str | Path) -> list[SimulationRun]:
    """The conversations of a results.json: ours, or one written by τ²-bench's `tau2 run`
    (imported by `tau2_format.runs_from_tau2`: labelled as a zero-shot evaluation of its domain)."""
    from .tau2_format import is_tau2_results, runs_from_tau2

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if is_tau2_results(document):
            return runs_from_tau2(document)
        return [SimulationRun.model_validate(item) for item in document["simulations"]]
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise DataError(f"not a results file (agentcl's or τ²-bench's) with a 'simulations' list of runs: {exc}",
                        path=path) from exc


def load_run_dir_runs(run_dir: str | Path) -> list[SimulationRun]:
    """The journal if there is one (it is never behind results.json), else results.json, else []."""
    run_dir = Path(run_dir)
    if (run_dir / layout.RESULTS_JOURNAL).exists():
        return ResultsStore(run_dir).runs()
    if (run_dir / layout.RESULTS_JSON).exists():
        return load_results(run_dir / layout.RESULTS_JSON)
    return []


# --- training steps -----------------------------------------------------------------------

class TrainingLog:
    """Per-step training log: one dict per optimizer step, keyed by its global `step`.

    Expected keys: `step` (int, global, required), `stage` (str, required), `reward_mean`
    (float); optional `reward_std`, `loss`, `kl`, `learning_rate`, `api_prompt_tokens`,
    `api_completion_tokens`, `api_cost_usd`, and anything else JSON-serialisable (kept as is).
    A step logged again after resuming from a checkpoint replaces the earlier entry in the file
    (the file never holds a step twice).
    """

    def __init__(self, run_dir: str | Path):
        self.journal = JsonlJournal(Path(run_dir) / layout.TRAIN_LOG_JOURNAL, key_of=lambda record: str(int(record["step"])))

    def add(self, steps: Iterable[Mapping[str, Any]]) -> int:
        records = []
        for step in steps:
            if "step" not in step or "stage" not in step:
                raise ValueError(f"a training-log entry needs 'step' and 'stage', got keys {sorted(step)}")
            records.append(dict(step))
        return self.journal.upsert(records)

    def steps(self) -> list[dict[str, Any]]:
        return sorted(self.journal.records(), key=lambda record: int(record["step"]))

    def done_steps(self) -> set[int]:
        return {int(key) for key in self.journal.keys()}
