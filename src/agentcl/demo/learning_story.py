"""The learning story of a run with a control arm: before/after rows with intervals, the reward curve.

Reads the summary `bench/learning_curve.py` writes (`learning_curve.json`: per seed, held-out pass^1
before GRPO and after each arm with 95% intervals, and each arm's training reward per step) and
renders it for people: `learning_rows` for the terminal, `learning_section_html` for a report
(a table and the reward-per-step plot of both arms). Nothing here trains or evaluates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..report.metrics import intervals_apart

HEADERS = ("seed", "arm", "before", "after", "gain", "separate", "train reward first->last quarter",
           "equal-reward groups")




def _quarter_means(curve: list[Mapping[str, Any]]) -> tuple[float, float]:
    if not curve:
        return float("nan"), float("nan")
    n = max(1, len(curve) // 4)
    first = sum(c["reward_mean"] for c in curve[:n]) / n
    last = sum(c["reward_mean"] for c in curve[-n:]) / n
    return first, last


def learning_cells(summary: Mapping[str, Any]) -> list[list[str]]:
    """One row of text cells per (seed, arm)."""
    rows = []
    for result in summary["results"]:
        before = result["before"]
        for arm, a in result["arms"].items():
            after, curve = a["after"], a["train_curve"]
            first, last = _quarter_means(curve)
            zero = sum(c["frac_groups_zero_std"] for c in curve) / max(1, len(curve))
            rows.append([
                str(result["seed"]), arm,
                f"{before['pass1']:.2f} [{before['ci95'][0]:.2f}, {before['ci95'][1]:.2f}]",
                f"{after['pass1']:.2f} [{after['ci95'][0]:.2f}, {after['ci95'][1]:.2f}]",
                f"{a['gain']:+.2f}",
                "yes" if intervals_apart(before["ci95"], after["ci95"]) else "no",
                f"{first:.2f} -> {last:.2f}",
                f"{zero:.2f}",
            ])
    return rows


def learning_rows(summary: Mapping[str, Any]) -> list[str]:
    """The before/after table as terminal lines (arm `control`: rewards shuffled across the batch)."""
    cells = [list(HEADERS), *learning_cells(summary)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    lines = ["held-out pass^1 [95% bootstrap interval over tasks]; gain = after - before; "
             "separate = the intervals do not overlap; control = the same run with shuffled rewards"]
    lines += ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
              for row in cells]
    return lines


def reward_curve_steps(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Training-log-shaped points (step, stage = "<arm> seed <s>", reward_mean) for report.plots."""
    return [{"step": c["step"], "stage": f"{arm} seed {result['seed']}", "reward_mean": c["reward_mean"]}
            for result in summary["results"] for arm, a in result["arms"].items() for c in a["train_curve"]]


def learning_section_html(summary: Mapping[str, Any], plot_dir: str | Path) -> str:
    """An HTML section: the before/after table and the reward-per-step plot of both arms."""
    from ..report.html_report import _img_tag, _table, _text_cell
    from ..report.plots import plot_reward_curve

    plot = plot_reward_curve(reward_curve_steps(summary), Path(plot_dir) / "learning_reward_curve.png", window=5)
    rows = [[_text_cell(c) for c in row] for row in learning_cells(summary)]
    return ("<section id=\"learning\"><h2>Learning on held-out tasks, with a control arm</h2>"
            "<p>Held-out pass^1 before GRPO (after the warm start) and after it, with 95% bootstrap intervals "
            "over tasks. The control arm is identical but its rewards are shuffled across each batch.</p>"
            + _table(HEADERS, rows, text_columns=len(HEADERS))
            + _img_tag(plot, "plot-learning-reward-curve", "Mean task reward of the training conversations per "
                       "GRPO step, per arm and seed.") + "</section>")


def write_learning_report(summary: Mapping[str, Any], path: str | Path) -> Path:
    """A standalone HTML page with the learning section (beside learning_curve.json)."""
    path = Path(path)
    body = learning_section_html(summary, path.parent)
    path.write_text("<!doctype html><html><head><meta charset=\"utf-8\"><title>agentcl learning curve</title>"
                    "</head><body>" + body + "</body></html>\n", encoding="utf-8")
    return path
