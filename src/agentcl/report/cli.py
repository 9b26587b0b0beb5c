"""`python -m agentcl report --run-dir DIR`: rebuild metrics.json, plots and report.html."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..errors import AgentclError
from .build import build_report


def make_parser(prog: str = "agentcl report") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="(Re)build metrics.json, PNG plots and report.html from a run directory.")
    parser.add_argument("--run-dir", required=True, help="the output directory of a run (holds results.jsonl / results.json)")
    parser.add_argument("--stages", nargs="+", default=None, help="stage order, overriding the run's curriculum.json")
    parser.add_argument("--title", default=None, help="title of the report page")
    parser.add_argument(
        "--max-transcripts", type=int, default=None,
        help="show at most this many conversations per (phase, stage) in the HTML (default: all)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        path = build_report(args.run_dir, stages=args.stages, title=args.title, max_transcripts_per_cell=args.max_transcripts)
    except (AgentclError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {path}")
    return 0


__all__ = ["build_report", "main", "make_parser"]
