"""`python -m agentcl <command>`: check-data, generate, eval, report, export, relay."""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from .errors import AgentclError  # noqa: E402

COMMANDS = {
    "check-data": ("agentcl.check_data", "load a τ²-format data dir, replay gold actions, score gold/do-nothing"),
    "generate": ("agentcl.generate_data", "write a domain's seeded default data (τ²-bench format)"),
    "eval": ("agentcl.curriculum.evaluate_cli", "evaluate a model or checkpoint on a domain and split"),
    "report": ("agentcl.report.cli", "rebuild metrics.json, plots and report.html of a run directory"),
    "export": ("agentcl.export", "write a run's conversations as τ²-bench results files (--format tau2)"),
    "relay": ("agentcl.relay.__main__", "start the local OpenAI-compatible relay (scripted user + offline judge)"),
    "estimate": ("agentcl.curriculum.estimate", "expected API calls, tokens and cost of a run (run.py flags)"),
}


def usage() -> str:
    lines = ["usage: python -m agentcl <command> [options]", "", "commands:"]
    lines += [f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    try:
        return int(module.main(rest) or 0)
    except AgentclError as exc:
        from .secrets import redact

        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    sys.exit(main())
