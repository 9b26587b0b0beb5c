"""`python -m agentcl eval`: evaluate a model or checkpoint on domains and a split, without training.

    python -m agentcl eval --model Qwen/Qwen3-4B-Instruct-2507 --domain airline --split test --trials 4 \
        --openai-api-base http://127.0.0.1:8765/v1 --output-dir outputs/eval-airline
    python -m agentcl eval --model tiny --adapter outputs/demo/adapters/retail --domain retail --local-relay
    python -m agentcl eval --model tiny --run-dir outputs/demo --adapter mock --domain mock,airline,retail --local-relay

`--adapter` is an adapter directory, or, with `--run-dir`, the name of a stage of that curriculum run
(its adapter is <run-dir>/adapters/<stage>; every stage's adapter is kept), so any row of a run's
accuracy matrix can be rebuilt later: evaluate that stage's adapter on every stage's domain.

The τ²-bench `run` equivalent: every task of the split (or the first --num-tasks, or --task-ids)
x --trials conversations with the policy (the base model, plus --adapter when given), batched
through the rollout engine with fixed seeds per trial, scored with the task evaluator (and the
judge for NL assertions). Writes config.yaml, results.json, metrics.json, plots and report.html
into --output-dir; `--resume` continues an interrupted evaluation. Each domain is a column of
the report's tables; the runs are the "zero_shot" phase (an evaluation without training here).

Every run.py flag applies too (user simulator, judge, rollout limits, --data-dir, --seed,
--dtype, --load-in-4bit, ...); the flags below are shorthands for the evaluation ones.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence


DEFAULT_OUTPUT_ROOT = Path("outputs") / "eval"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agentcl eval", add_help=False,
        description="Evaluate a model (and optionally a LoRA adapter) on domains and a split; writes "
                    "results.json, metrics.json, plots and report.html. Every run.py flag is accepted too.")
    parser.add_argument("-h", "--help", action="store_true", help="show this help (and the run.py flags) and exit")
    parser.add_argument("--domain", action="append", default=None, metavar="NAME",
                        help="domain to evaluate (repeat, or comma-separate, for several); same as --domains")
    parser.add_argument("--split", default=None, help="split of each domain to evaluate (default: test); "
                        "same as --eval-split")
    parser.add_argument("--num-tasks", type=int, default=None, help="evaluate the first N tasks of the split "
                        "(default: all); same as --eval-tasks-per-domain")
    parser.add_argument("--task-ids", default=None, metavar="ID,ID,...", help="evaluate only these task ids")
    parser.add_argument("--trials", type=int, default=None, help="trials per task (default 4); same as --eval-trials")
    parser.add_argument("--run-dir", default=None, metavar="DIR",
                        help="a curriculum run directory: --adapter may then name one of its stages")
    parser.add_argument("--max-batch-size", type=int, default=None,
                        help="conversations per generate call (default: all at once on a GPU, 8 on a CPU)")
    return parser


def _translate(args: argparse.Namespace, rest: list[str]) -> list[str]:
    """Our shorthands as the run-config flags they stand for."""
    argv = list(rest)
    if args.domain:
        names = [n.strip() for item in args.domain for n in item.split(",") if n.strip()]
        argv += ["--domains", ",".join(names)]
    if args.split is not None:
        argv += ["--eval-split", args.split]
    if args.num_tasks is not None:
        argv += ["--eval-tasks-per-domain", str(args.num_tasks)]
    if args.trials is not None:
        argv += ["--eval-trials", str(args.trials)]
    return argv


def resolve_adapter(value: str, run_dir: str | Path | None) -> Path:
    """`--adapter`: an adapter directory, or a stage name of the curriculum run in `run_dir`."""
    from ..config import ConfigError

    path = Path(value)
    if (path / "adapter_config.json").is_file():
        return path
    if run_dir is None:
        raise ConfigError(f"--adapter {value}: no LoRA adapter there (adapter_config.json missing); to name a stage "
                          "of a curriculum run, add --run-dir DIR")
    adapters = Path(run_dir) / "adapters"
    stage = adapters / value
    if "/" not in value and (stage / "adapter_config.json").is_file():
        return stage
    known = sorted(p.name for p in adapters.glob("*") if (p / "adapter_config.json").is_file()) \
        if adapters.is_dir() else []
    raise ConfigError(f"--adapter {value}: neither an adapter directory nor a stage of {run_dir} with a saved "
                      f"adapter; stages with adapters there: {', '.join(known) or 'none'}")


def default_output_dir(model: str, adapter: str | None, domains: Sequence[str]) -> Path:
    name = Path(adapter).name if adapter else Path(model.rstrip("/")).name
    return DEFAULT_OUTPUT_ROOT / f"{name}-{'-'.join(domains)}"


def run_evaluation(config, *, task_ids: Sequence[str] | None = None, max_batch_size: int | None = None,
                   user_simulator_factory=None, progress: bool = True):
    """Evaluate `config.model` (+ `config.model.adapter`) on `config.curriculum.domains` through the
    stage loop (CurriculumRunner with train=False); returns the report path (None off the main process)."""
    from ..config import ConfigError
    from .evaluate import eval_settings_from_config
    from .runner import CurriculumRunner
    from .stages import plan_stages, stages_from_config

    plans = plan_stages(stages_from_config(config), need_train=False)
    if task_ids:
        wanted = set(task_ids)
        for plan in plans:
            plan.eval_tasks = [t for t in plan.data.tasks_for_split(plan.stage.eval_split) if t.id in wanted]
        found = {t.id for plan in plans for t in plan.eval_tasks}
        missing = sorted(wanted - found)
        if missing:
            raise ConfigError(f"--task-ids: not in split {config.curriculum.eval_split!r} of "
                              f"{', '.join(p.data.name for p in plans)}: {', '.join(missing)}")
    settings = eval_settings_from_config(config)
    if max_batch_size is not None:
        settings.max_batch_size = max_batch_size
    runner = CurriculumRunner(config, train=False, plans=plans, evaluation=settings,
                              user_simulator_factory=user_simulator_factory, progress=progress)
    result = runner.run()
    if not runner.state.is_main_process:
        return None
    _print_summary(Path(config.training.output_dir))
    return result.report


def _print_summary(run_dir: Path) -> None:
    import json

    from ..report import layout

    metrics = json.loads((run_dir / layout.METRICS_JSON).read_text(encoding="utf-8"))
    for ev in metrics.get("evaluations") or []:
        pass_k = ", ".join(f"pass^{k}={v:.3f}" for k, v in ev["pass_k"].items())
        print(f"{ev['stage']}: {ev['runs']} conversations, average reward {ev['average_reward']:.3f}, {pass_k}",
              flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from ..config import build_parser as run_parser
    from ..config import parse_run_config
    from ..errors import run_command

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.help:
        parser.print_help()
        print("\nrun.py flags (model, user simulator, judge, rollout limits, data):\n")
        run_parser("python -m agentcl eval").print_help()
        return 0
    def body() -> None:
        from ..config import PROJECT_DEFAULTS, ConfigError

        config = parse_run_config(_translate(args, rest), prog="python -m agentcl eval")
        if config.model.adapter:
            config.model.adapter = str(resolve_adapter(config.model.adapter, args.run_dir))
        elif args.run_dir:
            raise ConfigError("--run-dir names where stage adapters are; give the stage with --adapter STAGE")
        if config.training.output_dir == PROJECT_DEFAULTS["output_dir"]:  # not chosen by flag or YAML
            config.training.output_dir = str(default_output_dir(config.model.name, config.model.adapter,
                                                              config.curriculum.domains))
        task_ids = [t.strip() for t in args.task_ids.split(",") if t.strip()] if args.task_ids else None
        run_evaluation(config, task_ids=task_ids, max_batch_size=args.max_batch_size)

    return run_command(body)

if __name__ == "__main__":
    sys.exit(main())
