"""One self-contained static report.html: plots embedded as base64 PNG, metrics, per-task tables
and collapsible transcripts. Every piece of text from the run is HTML-escaped."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .metrics import is_success, phase_sort_key, run_phase, run_reward, run_stage
from ..data_model import Check, Message, SimulationRun
from ..secrets import redact

# (file key, element id, caption) of the plots, in page order
PLOT_SLOTS = (
    ("reward_curve", "plot-reward-curve", "Mean training reward per step, per stage."),
    ("accuracy_matrix", "plot-accuracy-matrix", "R[i][j]: pass^1 on stage j (column) after training stage i (row)."),
    ("pass_k", "plot-pass-k", "pass^k per stage: after the last stage (solid) and zero-shot (dashed)."),
)


def e(value: Any) -> str:
    """Escaped, secret-free text (every string from the run goes through here)."""
    return escape(redact("" if value is None else str(value)), quote=True)


def fmt(value: Any, signed: bool = False, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return e(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _num_cell(value: Any, signed: bool = False, digits: int = 3) -> str:
    css = "missing" if value is None else ("pos" if signed and value > 0 else "neg" if signed and value < 0 else "")
    return f'<td class="{css}">{fmt(value, signed, digits)}</td>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], text_columns: int = 1) -> str:
    head = "".join(f'<th class="{"text" if i < text_columns else ""}">{e(h)}</th>' for i, h in enumerate(headers))
    body = "".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text_cell(value: Any) -> str:
    return f'<td class="text">{e(value)}</td>'


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "—"


def _img_tag(path: Path | None, element_id: str, caption: str) -> str:
    if path is None or not Path(path).exists():
        return f'<figure id="{e(element_id)}"><p class="note">No data for this plot.</p><figcaption>{e(caption)}</figcaption></figure>'
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (
        f'<figure><img id="{e(element_id)}" class="plot" alt="{e(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


# --- sections ------------------------------------------------------------------------------

def _header(title: str, metrics: Mapping[str, Any]) -> str:
    chips = "".join(f'<span class="stage-chip">{i}. {e(s)}</span>' for i, s in enumerate(metrics.get("stages") or [], 1))
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<h1>{e(title)}</h1><div class=\"muted\">Report generated {e(when)}</div>"
        f'<div class="stages">{chips or "<span class=note>No curriculum stages recorded.</span>"}</div>'
    )


def _cards(metrics: Mapping[str, Any]) -> str:
    cont = metrics.get("continual") or {}
    usage = (metrics.get("usage") or {}).get("total") or {}
    totals = metrics.get("totals") or {}
    cards = [
        ("Average final performance", fmt(cont.get("average_final_performance"))),
        ("Backward transfer", fmt(cont.get("backward_transfer"), signed=True)),
        ("Forward transfer", fmt(cont.get("forward_transfer"), signed=True)),
        ("Average forgetting", fmt(cont.get("average_forgetting"))),
        ("Conversations", fmt(totals.get("runs"))),
        ("Training steps", fmt(totals.get("training_steps"))),
        ("API cost (USD)", fmt(usage.get("cost_usd"), digits=4)),
        ("API tokens", fmt(usage.get("total_tokens"))),
    ]
    body = "".join(f'<div class="card"><div class="label">{e(label)}</div><div class="value">{value}</div></div>' for label, value in cards)
    return f'<div class="cards" id="headline">{body}</div>'


def _matrix_table(matrix: Mapping[str, Any] | None, table_id: str) -> str:
    if not matrix:
        return '<p class="note">No curriculum stages: no matrix.</p>'
    headers = ["model after \\ evaluated stage", *matrix["columns"]]
    rows = []
    for label, values in zip(matrix["rows"], matrix["values"]):
        rows.append([_text_cell(label.replace("_", " ")), *(_num_cell(v) for v in values)])
    return f'<div id="{e(table_id)}">{_table(headers, rows)}</div>'


def _continual_table(metrics: Mapping[str, Any]) -> str:
    cont = metrics.get("continual")
    if not cont:
        return ""
    rows = [
        [_text_cell("average final performance"), _num_cell(cont["average_final_performance"])],
        [_text_cell("backward transfer"), _num_cell(cont["backward_transfer"], signed=True)],
        [_text_cell("forward transfer"), _num_cell(cont["forward_transfer"], signed=True)],
        [_text_cell("average forgetting"), _num_cell(cont["average_forgetting"])],
    ]
    rows += [[_text_cell(f"forgetting of {stage}"), _num_cell(v)] for stage, v in cont["forgetting_per_stage"].items()]
    return _table(["metric", "value"], rows)


def _interval_text(interval: Sequence[float] | None) -> str:
    return "" if not interval else f"[{interval[0]:.2f}, {interval[1]:.2f}]"


def _learning_table(metrics: Mapping[str, Any]) -> str:
    """Did training a stage raise its held-out score? pass^1 before and after, with 95% intervals."""
    rows = metrics.get("learning") or []
    if not rows:
        return '<p class="note">No stage was evaluated both zero-shot and after its own training.</p>'
    body = [[_text_cell(r["stage"]), _num_cell(r["before"]), _text_cell(_interval_text(r["before_ci95"])),
             _num_cell(r["after"]), _text_cell(_interval_text(r["after_ci95"])), _num_cell(r["gain"], signed=True),
             _text_cell("yes" if r["separate"] else "no"), _num_cell(r["tasks"])] for r in rows]
    note = ('<p class="note">pass^1 on each stage\'s held-out evaluation tasks; intervals: 95% bootstrap over '
            'tasks; separate = the intervals do not overlap.</p>')
    headers = ["stage", "zero-shot pass^1", "95% interval", "after its training", "95% interval", "gain",
               "separate", "tasks"]
    return f'<div id="learning">{_table(headers, body)}{note}</div>'


def _max_k(evaluations: Sequence[Mapping[str, Any]]) -> int:
    return max((int(k) for ev in evaluations for k in ev["pass_k"]), default=0)


def _evaluations_table(metrics: Mapping[str, Any]) -> str:
    evaluations = metrics.get("evaluations") or []
    if not evaluations:
        return '<p class="note">No conversations recorded.</p>'
    max_k = _max_k(evaluations)
    headers = ["phase", "stage", "runs", "tasks", "avg reward", "success rate", *(f"pass^{k}" for k in range(1, max_k + 1)), "terminations", "API cost (USD)"]
    rows = []
    for ev in evaluations:
        rows.append([
            _text_cell(ev["phase"]), _text_cell(ev["stage"]), _num_cell(ev["runs"]), _num_cell(ev["tasks"]),
            _num_cell(ev["average_reward"]), _num_cell(ev["success_rate"]),
            *(_num_cell(ev["pass_k"].get(str(k))) for k in range(1, max_k + 1)),
            _text_cell(_counts(ev["termination_counts"])), _num_cell(ev["usage"]["cost_usd"], digits=4),
        ])
    return f'<div id="evaluations">{_table(headers, rows, text_columns=2)}</div>'


def _usage_table(metrics: Mapping[str, Any]) -> str:
    by_stage = (metrics.get("usage") or {}).get("by_stage") or {}
    if not by_stage:
        return '<p class="note">No usage recorded.</p>'
    rows = []
    for stage, parts in by_stage.items():
        rows.append([
            _text_cell(stage),
            _num_cell(parts["training"].get("calls")), _num_cell(parts["training"]["total_tokens"]),
            _num_cell(parts["training"]["cost_usd"], digits=4),
            _num_cell(parts["evaluation"].get("calls")), _num_cell(parts["evaluation"]["total_tokens"]),
            _num_cell(parts["evaluation"]["cost_usd"], digits=4),
            _num_cell(parts["total"]["prompt_tokens"]), _num_cell(parts["total"]["completion_tokens"]),
            _num_cell(parts["total"]["cost_usd"], digits=4),
        ])
    headers = ["stage", "training calls", "training tokens", "training USD", "eval calls", "eval tokens", "eval USD",
               "prompt tokens", "completion tokens", "total USD"]
    return _table(headers, rows)


def _training_table(metrics: Mapping[str, Any]) -> str:
    training = metrics.get("training") or {}
    if not training:
        return '<p class="note">No training steps logged.</p>'
    rows = [
        [_text_cell(stage), _num_cell(t["steps"]), _num_cell(t["reward_mean_first"]), _num_cell(t["reward_mean_last"]), _num_cell(t["reward_mean_average"])]
        for stage, t in training.items()
    ]
    return _table(["stage", "steps", "first reward", "last reward", "mean reward"], rows)


def _replay_table(metrics: Mapping[str, Any]) -> str:
    """Training conversations on replayed earlier-stage tasks (nothing when the run did not replay)."""
    replay = metrics.get("replay") or {}
    if not replay:
        return ""
    rows = [[_text_cell(stage), _num_cell(r["training_conversations"]), _num_cell(r["replayed_conversations"]),
             _num_cell(r["replayed_share"]), _text_cell(_counts(r["replayed_from"]))] for stage, r in replay.items()]
    return "<h3>Replay</h3>" + _table(["stage", "training conversations", "replayed", "share", "replayed from"],
                                      rows, text_columns=1)


def _per_task_section(metrics: Mapping[str, Any]) -> str:
    evaluations = metrics.get("evaluations") or []
    if not evaluations:
        return '<p class="note">No conversations recorded.</p>'
    parts = []
    for ev in evaluations:
        max_k = _max_k([{"pass_k": t["pass_k"]} for t in ev["per_task"]])
        headers = ["task id", "domain", "trials", "successes", "mean reward", *(f"pass^{k}" for k in range(1, max_k + 1)), "termination"]
        rows = [
            [
                _text_cell(t["task_id"]), _text_cell(t["domain"]), _num_cell(t["trials"]), _num_cell(t["successes"]),
                _num_cell(t["mean_reward"]), *(_num_cell(t["pass_k"].get(str(k))) for k in range(1, max_k + 1)),
                _text_cell(_counts(t["termination_counts"])),
            ]
            for t in ev["per_task"]
        ]
        summary = f'{e(ev["phase"])} · {e(ev["stage"])} — {ev["tasks"]} tasks, pass^1 {fmt(ev["pass_k"].get("1"))}'
        parts.append(f'<details class="cell per-task"><summary>{summary}</summary>{_table(headers, rows, text_columns=2)}</details>')
    return "".join(parts)


# --- transcripts ---------------------------------------------------------------------------

def _tool_call_html(call: Any) -> str:
    arguments = json.dumps(call.arguments, indent=2, ensure_ascii=False, default=str)
    who = "" if call.requestor == "assistant" else f' <span class="badge">{e(call.requestor)} tool</span>'
    return (
        f'<div class="toolcall"><span class="name">{e(call.name)}</span>{who} '
        f'<span class="muted">id {e(call.id)}</span><pre>{e(arguments)}</pre></div>'
    )


def _message_html(message: Message) -> str:
    css = f"msg {message.role}" + (" error" if message.error else "")
    label = f'<div class="role">{e(message.role)}</div>'
    if message.role == "tool":
        side = "agent tool" if message.requestor == "assistant" else f"{message.requestor} tool"
        label = (
            f'<div class="role">tool result{" — error" if message.error else ""} '
            f'<span class="callref">{e(side)} · call {e(message.id or "?")}</span></div>'
        )
    body = f"<pre>{e(message.content)}</pre>" if message.content else ""
    if message.role == "system" and body:  # the policy: long and the same in every run
        body = f"<details><summary class=\"muted\">system prompt ({len(message.content or ''):,} characters)</summary>{body}</details>"
    calls = "".join(_tool_call_html(c) for c in message.tool_calls or [])
    return f'<div class="{e(css)}">{label}{body}{calls}</div>'


def _checks_html(title: str, checks: Sequence[Check]) -> str:
    if not checks:
        return ""
    items = "".join(
        f'<li><span class="{"pos" if c.met else "neg"}">{"✓" if c.met else "✗"}</span> {e(c.name)}'
        + (f' <span class="muted">— {e(c.detail)}</span>' if c.detail else "")
        + "</li>"
        for c in checks
    )
    return f"<h3>{e(title)}</h3><ul class=\"checks\">{items}</ul>"


def _reward_html(run: SimulationRun) -> str:
    info = run.reward_info
    if info is None:
        return '<p class="note">This conversation was not scored (counts as reward 0).</p>'
    basis = ", ".join(getattr(b, "value", str(b)) for b in info.reward_basis) or "—"
    rows = [[_text_cell(getattr(k, "value", str(k))), _num_cell(float(v))] for k, v in info.reward_breakdown.items()]
    parts = [
        f"<h3>Reward {fmt(info.reward)} <span class=\"muted\">(basis: {e(basis)}; db match: {e(info.db_match)})</span></h3>",
        _table(["component", "value"], rows) if rows else "",
        _checks_html("Actions", info.action_checks),
        _checks_html("Environment assertions", info.env_assertion_checks),
        _checks_html("Communicated info", info.communicate_checks),
        _checks_html("NL assertions", info.nl_assertion_checks),
    ]
    if info.info:
        parts.append(f"<h3>Evaluator info</h3><pre>{e(json.dumps(info.info, indent=2, ensure_ascii=False, default=str))}</pre>")
    return "".join(parts)


def _run_html(run: SimulationRun) -> str:
    reward = run_reward(run)
    ok = is_success(reward)
    badge = f'<span class="badge {"ok" if ok else "bad"}">reward {fmt(reward)}</span>'
    term = f'<span class="badge">{e(run.termination_reason.value)}</span>'
    messages = "".join(_message_html(m) for m in run.messages) or '<p class="note">No messages.</p>'
    return (
        f'<details class="run {"success" if ok else "failure"}"><summary>{e(run.id)} {badge}{term} '
        f'<span class="muted">{len(run.messages)} messages</span></summary>'
        f"{messages}{_reward_html(run)}</details>"
    )


def _transcripts_section(runs: Sequence[SimulationRun], stages: Sequence[str], max_per_cell: int | None) -> str:
    if not runs:
        return '<p class="note">No conversations recorded.</p>'
    groups: dict[tuple[str, str], list[SimulationRun]] = {}
    for run in runs:
        groups.setdefault((run_phase(run), run_stage(run)), []).append(run)
    parts = []
    def order(key: tuple[str, str]) -> tuple:
        stage_rank = stages.index(key[1]) if key[1] in stages else len(stages)
        return (phase_sort_key(key[0]), stage_rank, key[1])

    for (phase, stage) in sorted(groups, key=order):
        group = groups[(phase, stage)]
        shown = group if max_per_cell is None else group[:max_per_cell]
        more = "" if len(shown) == len(group) else f'<p class="note">{len(group) - len(shown)} more conversations are in results.json.</p>'
        parts.append(
            f'<details class="cell transcripts"><summary>{e(phase)} · {e(stage)} — {len(group)} conversations</summary>'
            f"{''.join(_run_html(r) for r in shown)}{more}</details>"
        )
    return "".join(parts)


def _definitions(metrics: Mapping[str, Any]) -> str:
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in (metrics.get("definitions") or {}).items())
    return f'<dl class="definitions">{items}</dl>'


# --- page ----------------------------------------------------------------------------------

def render_report(
    metrics: Mapping[str, Any],
    runs: Sequence[SimulationRun],
    plots: Mapping[str, Path | None],
    title: str = "agentcl run report",
    max_transcripts_per_cell: int | None = None,
) -> str:
    """The report as one HTML string. `plots` maps 'reward_curve', 'accuracy_matrix', 'pass_k'
    to PNG paths (None where there was nothing to plot)."""
    css = resources.files("agentcl.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    figures = "".join(_img_tag(plots.get(key), element_id, caption) for key, element_id, caption in PLOT_SLOTS)
    body = [
        _header(title, metrics),
        _cards(metrics),
        "<h2>Learning: held-out pass^1 before and after each stage's training</h2>", _learning_table(metrics),
        f'<h2>Plots</h2><div class="plots">{figures}</div>',
        "<h2>Accuracy matrix (pass^1)</h2>", _matrix_table(metrics.get("accuracy_matrix"), "accuracy-matrix"),
        "<h2>Mean-reward matrix</h2>", _matrix_table(metrics.get("reward_matrix"), "reward-matrix"),
        "<h2>Continual-learning metrics</h2>", _continual_table(metrics),
        "<h2>Evaluations</h2>", _evaluations_table(metrics),
        "<h2>Training</h2>", _training_table(metrics), _replay_table(metrics),
        "<h2>API usage per stage</h2>", _usage_table(metrics),
        '<h2>Per-task results</h2><div id="per-task">', _per_task_section(metrics), "</div>",
        '<h2>Conversations</h2><div id="transcripts">', _transcripts_section(runs, list(metrics.get("stages") or []), max_transcripts_per_cell), "</div>",
        "<h2>Metric definitions</h2>", _definitions(metrics),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{css}</style></head><body>{''.join(body)}</body></html>\n"
    )
    return page
