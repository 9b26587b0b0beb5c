"""The one stage loop: evaluate, then train and evaluate stage after stage, then report.

run.py, the demo (after its data preparation and warm start), `python -m agentcl eval`
(`train=False`: the zero-shot row only) and the tests all run this loop; tests inject what cannot
run here (a user simulator factory, rollout options such as a scripted agent, trainer callbacks).

    zero-shot: evaluate every stage's evaluation tasks with the starting policy     (row 0 of R)
    for stage i = 1..T:
        train stage i with GRPO (continuing the adapter of stage i-1), save its adapter
        evaluate every stage (earlier: retention, later: forward transfer) with that adapter  (row i)
    results.json, metrics.json, plots, report.html

Mitigations of forgetting (README "Mitigating forgetting"): with a stage's `replay_ratio` > 0 its
batches follow a replay schedule (replay.py) that mixes in earlier stages' training tasks; with
`--anchor previous-stage` each finished stage's adapter is merged into the weights before the next
stage adds a fresh one (training/anchor.py), so TRL's reference is the previous stage's policy.
Every stage's adapter stays in <output>/adapters/<stage>.

Evaluation always loads the policy from disk (`load_policy`: base weights + the adapter the stage
just saved), so what is scored is exactly the checkpoint a user would ship, on every process.

Resume (`--resume`, the same output directory): the stage list must match the one recorded in
curriculum.json; a stage whose adapter carries the trainer's done-marker is not trained again (the
next stage continues from that adapter, or, after full-parameter training, from the model saved
in models/<stage>); an interrupted stage continues from its latest checkpoint; evaluation skips every conversation already in the results journal. Without
`--resume`, a directory that already holds a run is refused rather than mixed into.

API budget (`--max-api-cost-usd`, `--max-api-tokens`; agentcl.llm.budget): the running total starts
from the spend of the conversations already in the run directory, is charged after every training
step (by the trainer's record callback) and every evaluation phase, and is checked before every
stage and phase; once it is spent the loop writes results, metrics and the report and raises
BudgetExhausted (exit code 3). With `--estimate-sample N` > 0 a new run first prints its expected
API spend (agentcl.curriculum.estimate).

Only the main process writes files; every process rolls out its own shard.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..config import ConfigError, RunConfig
from ..report import layout
from .evaluate import EvalTarget, PolicyEvaluator, eval_settings_from_config, expected_run_ids
from ..report.metrics import eval_phase, summarize_runs
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


@contextmanager
def local_relay(config: RunConfig) -> Iterator[str | None]:
    """With `config.run.local_relay`, serve the scripted user and offline judge locally and point the
    user simulator (and, through it, the judge) at it; yields the base URL (None when off)."""
    if not config.run.local_relay:
        yield None
        return
    from ..relay import RelayServer

    server = RelayServer()
    url = server.start()
    point_users_at(config, url)
    log.info("local relay serving the user simulator at %s", url)
    try:
        yield url
    finally:
        stats = server.stats()
        server.stop()
        from ..training.model_loading import process_state

        # the relay's own count of what it served (each process runs its own relay)
        print(f"local relay (process {process_state().process_index}): {stats['total']} requests "
              f"{stats['by_model']}, {stats['tokens'].get('prompt_tokens', 0)} prompt + "
              f"{stats['tokens'].get('completion_tokens', 0)} completion tokens", flush=True)


def point_users_at(config: RunConfig, url: str) -> None:
    """Send the OpenAI-compatible user simulator (and the judge, which inherits its endpoint) to `url`."""
    users = config.users
    if users.user_type not in ("openai_user_simulator", "user_simulator"):
        log.warning("--local-relay: user type %s does not call an endpoint; the relay only serves the judge",
                    users.user_type)
    users.api_base = [url]
    users.endpoints_file = None
    if config.judge.api_base:
        log.warning("--local-relay: the judge keeps its own endpoint %s", config.judge.api_base)


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
    """One run of a curriculum in `config.training.output_dir`; call `run()` once.

    `train=False` evaluates `config.model` (+ its adapter) on the stages' evaluation tasks and
    stops (python -m agentcl eval); `plans` replaces the planned stages (e.g. chosen task ids).
    `rollout_options` go to the training rollouts (TrainingSession), `callbacks` to every stage's
    trainer; `evaluation` overrides the evaluation settings (EvalSettings)."""

    def __init__(self, config: RunConfig, *, stages: Sequence[Stage] | None = None,
                 user_simulator_factory: UserFactory | None = None, judge_runtime=None, progress: bool = True,
                 train: bool = True, plans: Sequence[Any] | None = None, evaluation=None,
                 rollout_options: dict[str, Any] | None = None, callbacks: Sequence[Any] = ()):
        from ..training.model_loading import process_state

        self.config = config
        self.train = train
        self.plans = list(plans) if plans is not None else None
        self.evaluation = evaluation
        self.rollout_options = rollout_options
        self.callbacks = list(callbacks)
        self.state = process_state()  # gloo on a CPU-only torchrun, not one process per rank
        self.stages = list(stages) if stages is not None else (
            [p.stage for p in self.plans] if self.plans is not None else stages_from_config(config))
        self.run_dir = Path(config.training.output_dir)
        self.user_simulator_factory = user_simulator_factory
        self.judge_runtime = judge_runtime
        self.progress = progress
        self.resume = bool(config.run.resume)
        from ..llm.budget import ApiBudget

        self.budget = ApiBudget(config.run.max_api_cost_usd, config.run.max_api_tokens)  # charged as the run goes

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
        if self.resume:  # issue 14: a resume must not silently change what the results mean
            from ..report.config_dump import check_resume_settings

            check_resume_settings(self.run_dir, self.config)
        if self.state.num_processes > 1:
            self.state.wait_for_everyone()  # every process has looked before the main one writes
        if not self.state.is_main_process:
            return
        from ..report import write_curriculum

        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_curriculum(self.run_dir, names)  # on resume: raises unless the stage list is the same
        self.config.save(self.run_dir)

    # -- the API budget ------------------------------------------------------------------------
    def _spent_so_far(self, store) -> None:
        """Start the running total from what the run directory's conversations spent (a resume)."""
        from ..report.metrics import Usage

        spent = Usage()
        if self.state.is_main_process:
            for run in store.runs():
                spent.add(Usage.from_run(run))
        if self.state.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            box = [spent]
            broadcast_object_list(box, from_process=0)
            spent = box[0]
        self.budget.spent = spent

    def _check_budget(self, where: str) -> None:
        """Stop (results, metrics and report written; exit code 3) once the budget is spent."""
        if not self.budget.exhausted:
            return
        from ..llm.budget import BudgetExhausted

        message = self.budget.stop_message(where)
        if self.state.is_main_process:
            self._build_report(final=True)
            print(f"[budget] {message}", flush=True)
        raise BudgetExhausted(message)

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
        self._check_budget(f"before the {phase} evaluation")
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
        from ..report.metrics import Usage

        for run in runs:  # every process's runs, on every process: the same total everywhere
            self.budget.charge(Usage.from_run(run))
        if owned:
            del model
            _release_memory()
        if self.state.is_main_process:
            by_stage: dict[str, list] = {}
            for run in store.runs():
                if run.phase == phase:
                    by_stage.setdefault(run.stage, []).append(run)
            cells = []
            for target in targets:
                summary = summarize_runs(by_stage.get(target.stage, []))
                cells.append(f"{target.stage} pass^1={_fmt(summary.performance)} reward={_fmt(summary.average_reward)}")
            print(f"[{phase}] " + " | ".join(cells)
                  + f"  ({len(runs)} new conversations, {time.perf_counter() - started:.0f}s)", flush=True)

    # -- the run -------------------------------------------------------------------------------
    def run(self) -> CurriculumResult:
        from ..report import ResultsStore
        from ..training.model_loading import load_base_model, load_model_and_tokenizer, load_tokenizer
        from ..training.trainer import TrainingSession, finished_stage, stage_paths

        started = time.perf_counter()
        config = self.config
        plans = self.plans if self.plans is not None else plan_stages(self.stages, need_train=self.train)
        names = [p.name for p in plans]
        self._prepare_dir(names)
        if self.state.num_processes > 1:
            self.state.wait_for_everyone()
        result = CurriculumResult(self.run_dir, names)
        store = ResultsStore(self.run_dir)
        targets = [EvalTarget(p.name, p.data, p.eval_tasks) for p in plans]
        settings = self.evaluation or eval_settings_from_config(config)
        _say(self.state, (f"curriculum: {' -> '.join(names)}" if self.train else
                          f"evaluating {config.model.name}" + (f" + adapter {config.model.adapter}"
                                                                if config.model.adapter else "")
                          + f" on {', '.join(names)} (split {config.curriculum.eval_split})")
             + f"; run directory {self.run_dir}" + (" (resuming)" if self.resume else ""))

        with local_relay(config):
            tokenizer = load_tokenizer(config.model)
            session = TrainingSession(config, user_simulator=self._new_user_simulator(),
                                      judge_runtime=self.judge_runtime, rollout_options=self.rollout_options,
                                      domains={p.data.name: p.data for p in plans}, budget=self.budget)
            evaluator = PolicyEvaluator(tokenizer, self._new_user_simulator(), settings=settings,
                                        judge_runtime=session.judge_runtime, progress=self.progress,
                                        state=self.state)
            try:
                # issue 14: a user simulator or judge that cannot answer stops the run before any work
                from ..training.endpoint_health import check_endpoints

                check_endpoints(session.user_simulator, session.judge_runtime)
                self._spent_so_far(store)
                if self.train and not self.resume and config.run.estimate_sample > 0:  # what the run will cost
                    from .estimate import print_run_estimate

                    print_run_estimate(config, plans, tokenizer, session, self.state)
                self._evaluate_phase(0, targets, evaluator, store, adapter_dir=None)
                train_model = None
                previous_adapter: str | None = None
                anchored = config.curriculum.anchor == "previous-stage"
                merged_below: list[str] = []  # anchor: the stages whose adapters are merged into train_model
                step_offset = 0
                for plan in plans if self.train else ():
                    done = finished_stage(config, plan.name) if self.resume else None
                    stage_steps = plan.steps(config.training.max_steps)
                    if done is not None and int(done.get("steps", 0)) < stage_steps:
                        done = None  # --max-steps was raised: train this stage further from its checkpoint
                    _, adapter_path = stage_paths(config, plan.name)
                    in_memory = None
                    if done is not None:
                        steps = int(done.get("steps", 0))
                        adapter_dir = str(adapter_path) if (adapter_path / "adapter_config.json").is_file() else None
                        full_model_dir = self.run_dir / "models" / plan.name
                        if adapter_dir is not None:
                            train_model = None  # the next stage loads this adapter
                            if anchored:
                                merged_below = [*merged_below, plan.name]
                        elif (full_model_dir / "config.json").is_file():  # full-parameter training
                            train_model = in_memory = load_base_model(config.model, str(full_model_dir))
                        else:
                            raise ConfigError(f"stage {plan.name!r} is marked finished but has neither a LoRA "
                                              f"adapter in {adapter_path} nor a model in {full_model_dir}")
                        _say(self.state, f"[stage {plan.index}/{len(plans)} {plan.name}] already trained "
                                         f"({steps} steps), skipped; continuing from "
                                         f"{adapter_dir or full_model_dir}")
                        trained_now = False
                    else:
                        if train_model is None:
                            if anchored and previous_adapter:  # resumed after a finished stage
                                from ..training.anchor import merged_policy

                                train_model, _ = load_model_and_tokenizer(_model_config_with_adapter(config, None))
                                train_model = merged_policy(train_model, previous_adapter)
                            else:
                                train_model, _ = load_model_and_tokenizer(
                                    _model_config_with_adapter(config, previous_adapter))
                        if anchored and self.state.is_main_process:
                            from ..training.anchor import write_base_adapters

                            write_base_adapters(adapter_path, merged_below)
                        spec = plan.training_spec(steps=stage_steps,
                                                  tasks_per_step=config.run.tasks_per_step, seed=config.seed)
                        _say(self.state, f"[stage {plan.index}/{len(plans)} {plan.name}] training "
                                         f"{stage_steps} GRPO steps on {len(plan.training_task_ids())} "
                                         f"tasks" + (f", {len(spec.replayed_from)} replayed from earlier stages "
                                                     f"(replay ratio {plan.stage.replay_ratio})"
                                                     if spec.replayed_from else "")
                                         + (" (anchor: previous stage merged)" if anchored and merged_below else ""))
                        self._check_budget(f"before training stage {plan.name}")
                        stage_started = time.perf_counter()
                        outcome = session.train_stage(spec, train_model, tokenizer,
                                                      step_offset=step_offset, resume=self.resume,
                                                      callbacks=self.callbacks)
                        if outcome.stopped_by_budget:
                            self._check_budget(f"in stage {plan.name} after step {outcome.steps}")
                        _say(self.state, f"[stage {plan.index}/{len(plans)} {plan.name}] trained "
                                         f"{outcome.steps} steps in {time.perf_counter() - stage_started:.0f}s, "
                                         f"adapter {outcome.adapter_dir}")
                        train_model = outcome.model
                        if anchored and plan.index < len(plans):  # the next stage's reference is this policy
                            from ..training.anchor import merge_adapter

                            train_model = merge_adapter(train_model)
                            merged_below = [*merged_below, plan.name]
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
            if self.train:
                store.finalize({"kind": "curriculum", "stages": names, "model": config.model.name,
                                "adapters": {o.name: o.adapter_dir for o in result.outcomes}})
            else:
                store.finalize({"kind": "evaluation", "model": config.model.name, "adapter": config.model.adapter,
                                "domains": names, "split": config.curriculum.eval_split, "trials": settings.trials})
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

        title = None if self.train else f"agentcl evaluation: {self.config.model.adapter or self.config.model.name}"
        try:
            return build_report(self.run_dir, **({"title": title} if title else {}))
        except Exception:  # noqa: BLE001 - an intermediate report must never stop training
            if final:
                raise
            log.warning("could not build the intermediate report", exc_info=True)
            return None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def run_curriculum(config: RunConfig, **options: Any) -> CurriculumResult:
    """Run (or, with config.run.resume, continue) the curriculum of `config` (options: CurriculumRunner's)."""
    return CurriculumRunner(config, **options).run()
