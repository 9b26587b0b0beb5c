"""(Re)build results.json, metrics.json, the PNG plots and report.html from a run directory."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

from .metrics import AccuracyMatrix, compute_metrics, group_runs, phase_row
from ..data_model import SimulationRun
from ..errors import DataError
from . import layout
from .html_report import render_report
from .journal import atomic_write_text
from .plots import plot_accuracy_matrix, plot_pass_k, plot_reward_curve
from .results_store import ResultsStore, TrainingLog, load_run_dir_runs, read_curriculum


def infer_stages(runs: Sequence[SimulationRun], steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """Stage order when no curriculum.json was written: training order, then stages first seen
    in evaluation runs."""
    names = [str(s["stage"]) for s in steps if "stage" in s]
    names += [stage for (phase, stage) in group_runs(runs) if phase_row(phase) is not None]
    return list(dict.fromkeys(names))


def _json_safe(value: Any) -> Any:
    """NaN / inf are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_metrics_json(run_dir: str | Path, metrics: Mapping[str, Any]) -> Path:
    text = json.dumps(_json_safe(dict(metrics)), indent=2, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(Path(run_dir) / layout.METRICS_JSON, text + "\n")


def pass_k_curves(metrics: Mapping[str, Any]) -> dict[str, dict[str, dict[int, float]]]:
    """pass^k per stage at the latest evaluation row present, and at zero-shot."""
    rows: dict[int, dict[str, dict[int, float]]] = {}
    for ev in metrics.get("evaluations") or []:
        if ev["phase_row"] is not None and ev["pass_k"]:
            rows.setdefault(ev["phase_row"], {})[ev["stage"]] = {int(k): v for k, v in ev["pass_k"].items()}
    if not rows:
        return {}
    last = max(rows)
    curves = {("zero-shot" if last == 0 else f"after stage {last}"): rows[last]}
    if last != 0 and 0 in rows:
        curves["zero-shot"] = rows[0]
    return curves


def write_plots(run_dir: str | Path, metrics: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> dict[str, Path | None]:
    run_dir = Path(run_dir)
    matrix = metrics.get("accuracy_matrix")
    return {
        "reward_curve": plot_reward_curve(steps, run_dir / layout.PLOT_REWARD_CURVE),
        "accuracy_matrix": plot_accuracy_matrix(AccuracyMatrix(matrix["columns"], matrix["values"]), run_dir / layout.PLOT_ACCURACY_MATRIX) if matrix else None,
        "pass_k": plot_pass_k(pass_k_curves(metrics), run_dir / layout.PLOT_PASS_K),
    }


def build_report(
    run_dir: str | Path,
    *,
    stages: Sequence[str] | None = None,
    title: str | None = None,
    max_transcripts_per_cell: int | None = None,
) -> Path:
    """Rebuild everything derived from a run directory; returns the path of report.html.

    Reads results.jsonl (or results.json), train_log.jsonl and curriculum.json; writes
    results.json (when the journal exists), metrics.json, the PNG plots and report.html.
    `stages` overrides the stage order recorded in curriculum.json.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError("run directory not found", path=run_dir)
    if (run_dir / layout.RESULTS_JOURNAL).exists():
        ResultsStore(run_dir).finalize()
    runs = load_run_dir_runs(run_dir)
    steps = TrainingLog(run_dir).steps()
    if stages is None:
        stages = read_curriculum(run_dir) or infer_stages(runs, steps)
    metrics = compute_metrics(runs, stages, steps)
    write_metrics_json(run_dir, metrics)
    plots = write_plots(run_dir, metrics, steps)
    html = render_report(metrics, runs, plots, title=title or f"agentcl run report: {run_dir.resolve().name}", max_transcripts_per_cell=max_transcripts_per_cell)
    return atomic_write_text(run_dir / layout.REPORT_HTML, html)


__all__ = ["build_report", "infer_stages", "pass_k_curves", "write_metrics_json", "write_plots"]
