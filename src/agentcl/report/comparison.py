"""Continual-learning strategies side by side: one table of metrics with 95% intervals, and their matrices.

Input: for each strategy (naive, replay, anchor, ...) the run directories of the same curriculum
trained with the same seeds. For every run, per (evaluation phase, stage) cell, each evaluation
task's pass^1 (its success rate over trials). A strategy's accuracy matrix is the mean over its
seeds of the per-seed matrices; its metrics (average final performance, backward and forward
transfer, average forgetting: see metrics.py) are computed on that mean matrix.

The 95% interval is a percentile bootstrap over evaluation tasks: each resample draws, for every
stage, its evaluation tasks with replacement (the same draw for every row, seed and strategy, so
strategies are compared on the same tasks), rebuilds the seed-averaged matrix and recomputes each
metric. A metric without a term (e.g. transfer with one stage) is None, with no interval.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Mapping, Sequence

from .metrics import (
    average_final_performance,
    average_forgetting,
    backward_transfer,
    eval_phase,
    forward_transfer,
    group_runs,
    summarize_runs,
)
from .results_store import load_run_dir_runs, read_curriculum

METRICS = {
    "average_final_performance": average_final_performance,
    "backward_transfer": backward_transfer,
    "forward_transfer": forward_transfer,
    "average_forgetting": average_forgetting,
}
COMPARISON_JSON = "comparison.json"
COMPARISON_HTML = "comparison.html"

# cells[row][column] = {task_id: pass^1}, or None where the cell was not evaluated
Cells = list[list["dict[str, float] | None"]]


def task_cells(runs, stages: Sequence[str]) -> Cells:
    """Per accuracy-matrix cell, each evaluation task's pass^1."""
    groups = group_runs(runs)
    cells: Cells = []
    for row in range(len(stages) + 1):
        cells.append([])
        for stage in stages:
            runs_here = groups.get((eval_phase(row), stage))
            if not runs_here:
                cells[row].append(None)
                continue
            summary = summarize_runs(runs_here)
            cells[row].append({t.task_id: (t.successes / t.trials if t.trials else 0.0) for t in summary.tasks})
    return cells


def _matrix(per_seed: Sequence[Cells], draws: Sequence[Sequence[str]] | None) -> list[list[float | None]]:
    """The seed-averaged matrix; `draws[j]` are the task ids of stage j to average over (None: all)."""
    rows, cols = len(per_seed[0]), len(per_seed[0][0])
    out: list[list[float | None]] = []
    for i in range(rows):
        out.append([])
        for j in range(cols):
            values = []
            for cells in per_seed:
                cell = cells[i][j]
                if cell is None:
                    continue
                ids = [t for t in (draws[j] if draws is not None else cell) if t in cell]
                if ids:
                    values.append(sum(cell[t] for t in ids) / len(ids))
            out[i].append(sum(values) / len(values) if values else None)
    return out


def _metrics(matrix) -> dict[str, float | None]:
    return {name: fn(matrix) for name, fn in METRICS.items()}


def compare_strategies(arms: Mapping[str, Sequence[str | Path]], *, resamples: int = 2000,
                       seed: int = 0) -> dict[str, Any]:
    """The comparison of `arms` (strategy -> run directories, one per seed); see the module docstring."""
    stages: list[str] | None = None
    per_arm: dict[str, list[Cells]] = {}
    for name, run_dirs in arms.items():
        if not run_dirs:
            raise ValueError(f"strategy {name!r} has no runs")
        for run_dir in run_dirs:
            run_stages = read_curriculum(Path(run_dir))
            if stages is None:
                stages = list(run_stages)
            elif list(run_stages) != stages:
                raise ValueError(f"{run_dir}: stages {run_stages} differ from {stages}; compare one curriculum")
            per_arm.setdefault(name, []).append(task_cells(load_run_dir_runs(Path(run_dir)), stages))
    assert stages is not None, "no strategies given"
    # the evaluation tasks of each stage (a union over every run, row and strategy)
    tasks = [sorted({t for arm in per_arm.values() for cells in arm for row in cells if row[j] for t in row[j]})
             for j in range(len(stages))]
    rng = random.Random(seed)
    draws = [[[rng.choice(ids) for _ in ids] if ids else [] for ids in tasks] for _ in range(resamples)]
    out: dict[str, Any] = {"stages": stages, "resamples": resamples, "tasks_per_stage": [len(t) for t in tasks],
                           "interval": "95% percentile bootstrap over evaluation tasks (seeds averaged)",
                           "strategies": {}}
    for name, per_seed in per_arm.items():
        matrix = _matrix(per_seed, None)
        point = _metrics(matrix)
        boot: dict[str, list[float]] = {k: [] for k in METRICS}
        for draw in draws:
            for k, v in _metrics(_matrix(per_seed, draw)).items():
                if v is not None:
                    boot[k].append(v)
        metrics = {}
        for k, value in point.items():
            samples = sorted(boot[k])
            low = samples[int(0.025 * (len(samples) - 1))] if value is not None and samples else None
            high = samples[int(round(0.975 * (len(samples) - 1)))] if value is not None and samples else None
            metrics[k] = {"value": value, "low": low, "high": high}
        out["strategies"][name] = {"runs": [str(p) for p in arms[name]], "seeds": len(per_seed),
                                   "accuracy_matrix": matrix, "metrics": metrics}
    return out


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:+.3f}"


def format_comparison(comparison: Mapping[str, Any]) -> str:
    """The comparison as plain text: the metric table, then each strategy's accuracy matrix."""
    names = list(METRICS)
    heads = ["final perf", "backward transfer", "forward transfer", "avg forgetting"]
    lines = [f"{'strategy':<10}" + "".join(f"{h:>28}" for h in heads)]
    for name, arm in comparison["strategies"].items():
        cells = []
        for k in names:
            m = arm["metrics"][k]
            interval = "" if m["low"] is None else f" [{m['low']:+.2f},{m['high']:+.2f}]"
            cells.append(f"{_fmt(m['value'])}{interval}")
        lines.append(f"{name:<10}" + "".join(f"{c:>28}" for c in cells))
    lines.append(f"({comparison['interval']}; {comparison['resamples']} resamples; tasks per stage "
                 f"{comparison['tasks_per_stage']})")
    stages = comparison["stages"]
    for name, arm in comparison["strategies"].items():
        lines.append(f"\naccuracy matrix R[i][j] (pass^1), {name}, mean of {arm['seeds']} seed(s):")
        lines.append(f"{'':<14}" + "".join(f"{s:>10}" for s in stages))
        for i, row in enumerate(arm["accuracy_matrix"]):
            lines.append(f"{eval_phase(i):<14}" + "".join(f"{'-' if v is None else f'{v:.3f}':>10}" for v in row))
    return "\n".join(lines)


def render_comparison_html(comparison: Mapping[str, Any], title: str = "agentcl: forgetting mitigations") -> str:
    """A self-contained HTML page with the same table and matrices as `format_comparison`."""
    from .html_report import _matrix_table, _table, _text_cell, e

    heads = ["strategy", "average final performance", "backward transfer", "forward transfer", "average forgetting"]
    rows = []
    for name, arm in comparison["strategies"].items():
        row = [_text_cell(name)]
        for k in METRICS:
            m = arm["metrics"][k]
            text = "—" if m["value"] is None else f"{m['value']:+.3f}" + (
                "" if m["low"] is None else f" [{m['low']:+.3f}, {m['high']:+.3f}]")
            row.append(_text_cell(text))
        rows.append(row)
    body = [f"<h1>{e(title)}</h1>", f"<p>{e(comparison['interval'])}; {comparison['resamples']} resamples; "
            f"evaluation tasks per stage: {comparison['tasks_per_stage']}.</p>",
            _table(heads, rows, text_columns=5)]
    stages = comparison["stages"]
    for name, arm in comparison["strategies"].items():
        matrix = {"rows": [eval_phase(i) for i in range(len(stages) + 1)], "columns": stages,
                  "values": arm["accuracy_matrix"]}
        body += [f"<h2>Accuracy matrix: {e(name)} (mean of {arm['seeds']} seed(s))</h2>",
                 _matrix_table(matrix, f"matrix-{e(name)}"),
                 "<p>runs: " + ", ".join(e(r) for r in arm["runs"]) + "</p>"]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(title)}</title></head><body>{''.join(body)}</body></html>\n")


def write_comparison(comparison: Mapping[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """comparison.json and comparison.html in `out_dir`."""
    import json

    from .journal import atomic_write_text

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / COMPARISON_JSON, out_dir / COMPARISON_HTML
    atomic_write_text(json_path, json.dumps(comparison, indent=2))
    atomic_write_text(html_path, render_comparison_html(comparison))
    return json_path, html_path
