"""The continual-learning run: evaluate, then train and evaluate stage after stage, then report.

    zero-shot: evaluate every stage's evaluation tasks with the starting policy     (row 0 of R)
    for stage i = 1..T:
        train stage i with GRPO (continuing the adapter of stage i-1), save its adapter
        evaluate every stage (earlier: retention, later: forward transfer) with that adapter  (row i)
    results.json, metrics.json, plots, report.html

Evaluation always loads the policy from disk (`load_policy`: base weights + the adapter the stage
just saved), so what is scored is exactly the checkpoint a user would ship, on every process.

Resume (`--resume`, the same output directory): the stage list must match the one recorded in
curriculum.json; a stage whose adapter carries the trainer's done-marker is not trained again (the
next stage continues from that adapter); an interrupted stage continues from its latest
checkpoint; evaluation skips every conversation already in the results journal. Without
`--resume`, a directory that already holds a run is refused rather than mixed into.

Only the main process writes files; every process rolls out its own shard.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import ConfigError, RunConfig
from ..report import layout
from .evaluate import EvalTarget, PolicyEvaluator, eval_settings_from_config, expected_run_ids
from .metrics import eval_phase, summarize_runs
from .stages import Stage, plan_stages, stages_from_config

log = logging.getLogger(__name__)

UserFactory = Callable[[], Any]


@dataclass
class StageOutcome:
    name: str
    adapter_dir: str | None
    steps: int
    trained_now: bool  # False: found finished in the run directory (resume)


@dataclass
class CurriculumResult:
    run_dir: Path
    stages: list[str]
    outcomes: list[StageOutcome] = field(default_factory=list)
    report: Path | None = None
    wall_s: float = 0.0


def _say(state, text: str) -> None:
    if state.is_main_process:
        print(text, flush=True)


def check_run_dir(run_dir: Path, resume: bool) -> None:
    """Refuse to mix a new run into a directory that holds one, unless resuming it."""
    held = [name for name in (layout.CURRICULUM_JSON, layout.RESULTS_JOURNAL) if (run_dir / name).exists()]
    if held and not resume:
        raise ConfigError(f"output directory {run_dir} already holds a run ({', '.join(held)}); pass --resume to "
                          "continue it, or choose another --output-dir")


def _model_config_with_adapter(config: RunConfig, adapter_dir: str | Path | None):
    return dataclasses.replace(config.model, adapter=str(adapter_dir) if adapter_dir else config.model.adapter)


def _release_memory() -> None:
    """Give back the memory of models the caller has just dropped (CPU and GPU)."""
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


class CurriculumRunner:
    """One run of a curriculum in `config.training.output_dir`; call `run()` once."""

    def __init__(self, config: RunConfig, *, stages: Sequence[Stage] | None = None,
                 user_simulator_factory: UserFactory | None = None, judge_runtime=None, progress: bool = True):
        from ..training.model_loading import process_state

        self.config = config
        self.state = process_state()  # gloo on a CPU-only torchrun, not one process per rank
        self.stages = list(stages) if stages is not None else stages_from_config(config)
        self.run_dir = Path(config.training.output_dir)
        self.user_simulator_factory = user_simulator_factory
        self.judge_runtime = judge_runtime
        self.progress = progress
        self.resume = bool(config.run.resume)

    # -- helpers -------------------------------------------------------------------------------
    def _new_user_simulator(self):
        if self.user_simulator_factory is not None:
            return self.user_simulator_factory()
        from ..users import make_user_simulator

        return make_user_simulator(self.config.users)

    def _done_ids(self, store) -> set[str]:
        done = store.done_ids() if self.state.is_main_process else set()
        if self.state.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            box = [done]
            broadcast_object_list(box, from_process=0)
            done = box[0]
        return done

    def _prepare_dir(self, names: list[str]) -> None:
        check_run_dir(self.run_dir, self.resume)  # on every process, so all of them stop together
        if self.state.num_processes > 1:
            self.state.wait_for_everyone()  # every process has looked before the main one writes
        if not self.state.is_main_process:
            return
        from ..report import write_curriculum

        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_curriculum(self.run_dir, names)  # on resume: raises unless the stage list is the same
        self.config.save(self.run_dir)

    # -- evaluation ----------------------------------------------------------------------------
    def _evaluate_phase(self, row: int, targets: list[EvalTarget], evaluator: PolicyEvaluator, store,
                        adapter_dir: str | None, in_memory_model=None) -> None:
        phase = eval_phase(row)
        wanted = expected_run_ids(targets, phase, evaluator.settings.trials)
        done = self._done_ids(store)
        missing = [i for i in wanted if i not in done]
        if not missing:
            _say(self.state, f"[{phase}] evaluation already complete ({len(wanted)} conversations), skipped")
            return
        _say(self.state, f"[{phase}] evaluating {len(missing)} conversations "
                         f"({len(targets)} stages x tasks x {evaluator.settings.trials} trials)"
                         + (f" with adapter {adapter_dir}" if adapter_dir else " with the starting policy"))
        if in_memory_model is not None:
            model, owned = in_memory_model, False
        else:
            from ..training.model_loading import load_policy

            model, _ = load_policy(self.config.model, adapter_dir)
            owned = True
        policy = {"model": self.config.model.name, "adapter": adapter_dir or self.config.model.adapter}
        started = time.perf_counter()
        runs = evaluator.evaluate(model, targets, phase=phase, done_ids=done,
                                  on_runs=store.add if self.state.is_main_process else None, policy=policy)
        if owned:
            del model
            _release_memory()
        if self.state.is_main_process:
            by_stage: dict[str, list] = {}
            for run in store.runs():
                if run.extra.get("phase") == phase:
                    by_stage.setdefault(run.extra.get("stage"), []).append(run)
            cells = []
            for target in targets:
                summary = summarize_runs(by_stage.get(target.stage, []))
                cells.append(f"{target.stage} pass^1={_fmt(summary.performance)} reward={_fmt(summary.average_reward)}")
            print(f"[{phase}] " + " | ".join(cells)
                  + f"  ({len(runs)} new conversations, {time.perf_counter() - started:.0f}s)", flush=True)

    # -- the run -------------------------------------------------------------------------------
    def run(self) -> CurriculumResult:
        from ..report import ResultsStore
        from ..training.model_loading import load_model_and_tokenizer, load_tokenizer
        from ..training.run_stages import local_relay
        from ..training.trainer import TrainingSession, finished_stage, stage_paths

        started = time.perf_counter()
        config = self.config
        plans = plan_stages(self.stages)
        names = [p.name for p in plans]
        self._prepare_dir(names)
        if self.state.num_processes > 1:
            self.state.wait_for_everyone()
        result = CurriculumResult(self.run_dir, names)
        store = ResultsStore(self.run_dir)
        targets = [EvalTarget(p.name, p.data, p.eval_tasks) for p in plans]
        settings = eval_settings_from_config(config)
        _say(self.state, f"curriculum: {' -> '.join(names)}; run directory {self.run_dir}"
                         + (" (resuming)" if self.resume else ""))

        with local_relay(config):
            tokenizer = load_tokenizer(config.model)
            session = TrainingSession(config, user_simulator=self._new_user_simulator(),
                                      judge_runtime=self.judge_runtime,
                                      domains={p.data.name: p.data for p in plans})
            evaluator = PolicyEvaluator(tokenizer, self._new_user_simulator(), settings=settings,
                                        judge_runtime=session.judge_runtime, progress=self.progress,
                                        state=self.state)
            try:
                self._evaluate_phase(0, targets, evaluator, store, adapter_dir=None)
                train_model = None
                previous_adapter: str | None = None
                step_offset = 0
                for plan in plans:
                    done = finished_stage(config, plan.name) if self.resume else None
                    if done is not None and int(done.get("steps", 0)) < config.training.max_steps:
                        done = None  # --max-steps was raised: train this stage further from its checkpoint
                    _, adapter_path = stage_paths(config, plan.name)
                    in_memory = None
                    if done is not None:
                        steps = int(done.get("steps", 0))
                        adapter_dir = str(adapter_path) if (adapter_path / "adapter_config.json").is_file() else None
                        if adapter_dir is None:
                            raise ConfigError(f"stage {plan.name!r} finished without a LoRA adapter in {adapter_path}; "
                                              "resuming a full-parameter run after a finished stage is not supported")
                        train_model = None  # the next stage loads this adapter
                        _say(self.state, f"[stage {plan.index}/{len(plans)} {plan.name}] already trained "
                                         f"({steps} steps), adapter {adapter_dir}")
                        trained_now = False
                    else:
                        if train_model is None:
                            train_model, _ = load_model_and_tokenizer(
                                _model_config_with_adapter(config, previous_adapter))
                        _say(self.state, f"[stage {plan.index}/{len(plans)} {plan.name}] training "
                                         f"{config.training.max_steps} GRPO steps on {len(plan.training_task_ids())} "
                                         f"tasks")
                        stage_started = time.perf_counter()
                        outcome = session.train_stage(plan.training_spec(), train_model, tokenizer,
                                                      step_offset=step_offset, resume=self.resume)
                        _say(self.state, f"[stage {plan.index}/{len(plans)} {plan.name}] trained "
                                         f"{outcome.steps} steps in {time.perf_counter() - stage_started:.0f}s, "
                                         f"adapter {outcome.adapter_dir}")
                        train_model = outcome.model
                        steps = outcome.steps
                        adapter_dir = str(outcome.adapter_dir) if outcome.adapter_dir else None
                        if adapter_dir is None:
                            in_memory = train_model  # full-parameter training: no adapter on disk
                        trained_now = True
                    result.outcomes.append(StageOutcome(plan.name, adapter_dir, steps, trained_now))
                    step_offset += steps
                    previous_adapter = adapter_dir
                    self._evaluate_phase(plan.index, targets, evaluator, store, adapter_dir, in_memory_model=in_memory)
                    if self.state.is_main_process:
                        self._build_report(final=False)
                train_model = None
                _release_memory()
            finally:
                evaluator.close()
                session.close()

        if self.state.is_main_process:
            store.finalize({"kind": "curriculum", "stages": names, "model": config.model.name,
                            "adapters": {o.name: o.adapter_dir for o in result.outcomes}})
            result.report = self._build_report(final=True)
        result.wall_s = time.perf_counter() - started
        if self.state.is_main_process:
            print(f"report: {result.report}", flush=True)
            print(f"results: {self.run_dir / layout.RESULTS_JSON}  metrics: {self.run_dir / layout.METRICS_JSON}",
                  flush=True)
            print(f"curriculum finished in {result.wall_s:.0f}s", flush=True)
        return result

    def _build_report(self, final: bool) -> Path | None:
        from ..report import build_report

        try:
            return build_report(self.run_dir)
        except Exception:  # noqa: BLE001 - an intermediate report must never stop training
            if final:
                raise
            log.warning("could not build the intermediate report", exc_info=True)
            return None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def run_curriculum(config: RunConfig, *, stages: Sequence[Stage] | None = None,
                   user_simulator_factory: UserFactory | None = None, judge_runtime=None,
                   progress: bool = True) -> CurriculumResult:
    """Run (or, with config.run.resume, continue) the curriculum of `config`."""
    return CurriculumRunner(config, stages=stages, user_simulator_factory=user_simulator_factory,
                            judge_runtime=judge_runtime, progress=progress).run()


def run(config: RunConfig) -> CurriculumResult:
    """What run.py calls: the offline demo for `--preset demo`, the curriculum otherwise."""
    if config.run.preset == "demo":
        from ..demo import run_demo

        return run_demo(config)
    return run_curriculum(config)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m agentcl.curriculum.runner [run.py flags]` (run.py does the same)."""
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from ..errors import run_command

    def body() -> None:
        from ..config import format_config, parse_run_config
        from ..training.model_loading import process_state

        config = parse_run_config(argv, prog="python -m agentcl.curriculum.runner")
        if process_state().is_main_process:
            print(format_config(config), flush=True)
        run(config)

    return run_command(body)

if __name__ == "__main__":
    sys.exit(main())
