"""`python -m agentcl export --format tau2 --run-dir DIR`: a run's conversations as τ²-bench results files.

Our results.json holds every phase, stage and domain of a run in one file; a τ²-bench results
file holds one domain (one `info.environment_info`) and its reward checks in other shapes, so
one file cannot serve both. This command writes one τ²-format file per (phase, stage, domain),
`OUT/<phase>/<stage>.json` (`<stage>__<domain>.json` when a stage's domain differs from its
name), each valid against τ²-bench's `Results` schema, readable by `tau2 view` and its analysis
scripts. The tasks and policy come from the run's data (`--data-dir`, else the run's
config.yaml `curriculum.data_dir`, else the generated default data); `info` takes max steps,
max errors, seed and the model and user-simulator names from config.yaml when present.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import yaml

from .data_model import SimulationRun
from .errors import AgentclError, DataError
from .registry import load_domain
from .secrets import redact
from .report import layout
from .report.journal import atomic_write_text
from .report.metrics import run_phase, run_stage
from .report.results_store import load_run_dir_runs
from .report.tau2_format import tau2_document


def _config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / layout.CONFIG_YAML
    if not path.exists():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"malformed YAML: {exc}", path=path) from None
    return loaded if isinstance(loaded, dict) else {}


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def export_tau2(run_dir: str | Path, out_dir: str | Path, data_dir: str | None = None) -> list[Path]:
    """Write the τ²-format files of a run directory; returns their paths."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if not run_dir.is_dir():
        raise DataError("run directory not found", path=run_dir)
    runs = load_run_dir_runs(run_dir)
    if not runs:
        raise DataError("no conversations in this run directory (results.jsonl / results.json)", path=run_dir)
    config = _config(run_dir)
    curriculum, rollout = _section(config, "curriculum"), _section(config, "rollout")
    model, users = _section(config, "model"), _section(config, "users")
    data_dir = data_dir or curriculum.get("data_dir")
    groups: dict[tuple[str, str, str], list[SimulationRun]] = {}
    for run in runs:
        groups.setdefault((run_phase(run), run_stage(run), run.domain), []).append(run)
    written_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    commit, domains, paths = _git_commit(), {}, []
    for (phase, stage, domain), members in sorted(groups.items()):
        if domain not in domains:
            domains[domain] = load_domain(domain, data_dir)
        data = domains[domain]
        document = tau2_document(
            members, domain=domain, policy=data.policy, tasks=data.tasks, written_at=written_at,
            git_commit=commit, num_trials=curriculum.get("eval_trials") if phase != "train" else None,
            max_steps=int(rollout.get("max_conversation_steps") or 0), max_errors=int(rollout.get("max_errors") or 0),
            agent={"implementation": "agentcl_policy", "llm": model.get("name"), "adapter": model.get("adapter")},
            user={"implementation": str(users.get("user_type") or "agentcl_user_simulator"),
                  "llm": users.get("openai_model") or users.get("model")},
            seed=config.get("seed"),
        )
        name = f"{stage}.json" if stage == domain else f"{stage}__{domain}.json"
        path = out_dir / phase / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, redact(json.dumps(document, ensure_ascii=False, indent=2)) + "\n")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentcl export", description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, help="the output directory of a run")
    parser.add_argument("--format", required=True, choices=["tau2"], help="tau2: τ²-bench's results format")
    parser.add_argument("--out", default=None, help="where to write (default: RUN_DIR/tau2_results)")
    parser.add_argument("--data-dir", default=None, help="τ²-format data the run used (default: the run's config)")
    args = parser.parse_args(argv)
    out = args.out or str(Path(args.run_dir) / "tau2_results")
    try:
        paths = export_tau2(args.run_dir, out, args.data_dir)
    except (AgentclError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
