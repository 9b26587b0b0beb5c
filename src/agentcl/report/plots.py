"""PNG plots of a run. Uses matplotlib's Agg canvas directly (no pyplot, no global backend),
so it works headless and from any thread. Each function returns the path, or None when there is
nothing to plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .metrics import AccuracyMatrix

_DPI = 100


def _save(fig: Figure, path: str | Path) -> Path:
    from ..output_errors import writing

    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        FigureCanvasAgg(fig)
        fig.savefig(path, dpi=_DPI, bbox_inches="tight")
    return path


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def plot_reward_curve(steps: Sequence[Mapping[str, Any]], path: str | Path, window: int = 10) -> Path | None:
    """Mean training reward per step, one colour per stage, with a moving average and the
    reward_std band when logged. `steps`: training-log dicts (step, stage, reward_mean, ...)."""
    points = [(int(s["step"]), str(s.get("stage", "?")), _finite(s.get("reward_mean")), _finite(s.get("reward_std"))) for s in steps]
    points = sorted((p for p in points if p[2] is not None), key=lambda p: p[0])
    if not points:
        return None
    fig = Figure(figsize=(9, 4))
    ax = fig.add_subplot()
    stages = list(dict.fromkeys(p[1] for p in points))
    cycle = [f"C{i % 10}" for i in range(len(stages))]
    for stage, color in zip(stages, cycle):
        xs = [p[0] for p in points if p[1] == stage]
        ys = [p[2] for p in points if p[1] == stage]
        stds = [p[3] for p in points if p[1] == stage]
        ax.plot(xs, ys, ".", color=color, alpha=0.45, markersize=4)
        if all(s is not None for s in stds):
            ax.fill_between(xs, [y - s for y, s in zip(ys, stds)], [y + s for y, s in zip(ys, stds)], color=color, alpha=0.12, linewidth=0)
        width = max(1, min(window, len(ys) // 4 or 1))
        smooth = [sum(ys[max(0, i - width + 1): i + 1]) / len(ys[max(0, i - width + 1): i + 1]) for i in range(len(ys))]
        ax.plot(xs, smooth, "-", color=color, linewidth=2, label=f"{stage} (moving avg of {width})")
        ax.axvline(xs[0], color=color, linestyle=":", linewidth=1)
    ax.set_xlabel("training step")
    ax.set_ylabel("mean reward")
    ax.set_title("Training reward per step")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_accuracy_matrix(matrix: AccuracyMatrix, path: str | Path, title: str = "Accuracy matrix R (pass^1)") -> Path | None:
    """Heat map of R: rows = zero-shot, after stage 1..T; columns = evaluated stage."""
    if not matrix.stages:
        return None
    rows, cols = len(matrix.values), len(matrix.stages)
    grid = [[math.nan if v is None else v for v in row] for row in matrix.values]
    fig = Figure(figsize=(2.2 + 1.1 * cols, 1.2 + 0.55 * rows))
    ax = fig.add_subplot()
    image = ax.imshow(grid, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
    for i in range(rows):
        for j in range(cols):
            value = matrix.values[i][j]
            text = "—" if value is None else f"{value:.2f}"
            color = "black" if value is not None and value > 0.6 else "white"
            ax.text(j, i, text, ha="center", va="center", color=color if value is not None else "gray", fontsize=10)
    ax.set_xticks(range(cols), matrix.stages, rotation=30, ha="right")
    ax.set_yticks(range(rows), ["zero-shot"] + [f"after {i}: {name}" for i, name in enumerate(matrix.stages, 1)])
    ax.set_xlabel("evaluated stage")
    ax.set_ylabel("model after")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _save(fig, path)


def plot_pass_k(curves: Mapping[str, Mapping[str, Mapping[int, float]]], path: str | Path) -> Path | None:
    """pass^k against k, one colour per stage; `curves[label][stage] = {k: value}`.
    The first label is drawn solid, later ones dashed (e.g. {'final': ..., 'zero-shot': ...})."""
    if not any(curve for by_stage in curves.values() for curve in by_stage.values()):
        return None
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    stages = list(dict.fromkeys(s for by_stage in curves.values() for s in by_stage))
    styles = ["-o", "--s", ":^", "-.v"]
    max_k = 1
    for index, (label, by_stage) in enumerate(curves.items()):
        for stage in stages:
            curve = by_stage.get(stage)
            if not curve:
                continue
            ks = sorted(curve)
            max_k = max(max_k, ks[-1])
            ax.plot(ks, [curve[k] for k in ks], styles[index % len(styles)], color=f"C{stages.index(stage) % 10}", label=f"{stage} ({label})", markersize=5)
    ax.set_xticks(range(1, max_k + 1))
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("k")
    ax.set_ylabel("pass^k")
    ax.set_title("pass^k per stage")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)
