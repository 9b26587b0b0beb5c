"""TRL GRPOTrainer wiring: one curriculum stage of GRPO on whole tool-using conversations.

A `TrainingSession` holds what lives for the whole run: the user simulator (its HTTP clients stay
bound to one event loop), the judge runtime (dispatcher, judges), the rollout function, the
reward functions and the per-process conversation buffer. `session.train_stage(stage, model, tokenizer)` builds a
GRPOTrainer for the stage and trains it:

- dataset: one row per task of the stage (`{"prompt": '{"domain": ..., "task_id": ...}', ...}`);
  TRL repeats each row G times and hands each process its slice;
- rollout_func: the batched lockstep engine; conversations are the completions, env_mask marks the
  agent's tokens, sampling log-probs are kept; the conversation-end hook computes the task reward
  and submits judge requests (the `reward_pending` column);
- rewards: one TRL reward function per reward term (rewards/terms.py: task reward, judge, length
  penalty, partial credit; those switched on), weighted by GRPOConfig.reward_weights;
- LoRA by default (QLoRA when the base is 4-bit), gradient checkpointing, bf16 on GPU / fp32 on
  CPU, checkpoints every N steps under <output>/checkpoints/<stage>, `resume` from the latest one;
- afterwards the adapter is saved to <output>/adapters/<stage> and the trained model is returned
  so the next stage continues from it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import ConfigError, RunConfig
from .callbacks import TrainingRecordCallback
from .checkpoints import last_complete_checkpoint
from .grpo_args import build_grpo_config
from .model_loading import lora_config, process_state
from .rewards import ConversationBuffer, recording_reward_funcs, reward_weights

log = logging.getLogger(__name__)

STAGE_DONE_FILE = "agentcl_stage.json"  # in <output>/adapters/<stage>/ once the stage is trained


@dataclass
class StageSpec:
    """What one curriculum stage trains on: the train split of its domains, or explicit tasks."""

    name: str
    domains: list[str]
    task_ids: list[tuple[str, str]] | None = None  # (domain, task id); None: from the config
    ordered: bool = False  # keep task_ids in their order (a replay schedule): TRL's dataset shuffle off
    replayed_from: dict[tuple[str, str], str] = field(default_factory=dict)  # replayed task -> its stage
    max_steps: int | None = None  # this stage's GRPO steps; None: GRPOConfig.max_steps

    @classmethod
    def of(cls, stage: "StageSpec | str") -> "StageSpec":
        return stage if isinstance(stage, StageSpec) else cls(name=stage, domains=[stage])


@dataclass
class TrainResult:
    stage: str
    steps: int  # optimizer steps of this stage (including those before a resume)
    model: Any  # the trained model (PEFT-wrapped with LoRA), unwrapped from DDP: continue with it
    adapter_dir: Path | None  # the stage's final LoRA adapter (None for full-parameter training)
    checkpoint_dir: Path
    model_dir: Path | None = None  # full-parameter training: the whole trained model
    resumed_from: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)  # per-step entries (main process)
    conversations_written: int = 0  # training conversations written to the results journal
    train_runtime_s: float = 0.0
    stopped_by_budget: bool = False  # the API budget ran out before --max-steps (a checkpoint, no adapter)


def stage_paths(config: RunConfig, stage: str) -> tuple[Path, Path]:
    """(checkpoint dir, adapter dir) of a stage."""
    root = Path(config.training.output_dir)
    return root / "checkpoints" / stage, root / "adapters" / stage


def finished_stage(config: RunConfig, stage: str) -> dict[str, Any] | None:
    """The done-marker of a stage trained to the end in this output directory, if any."""
    _, adapter_dir = stage_paths(config, stage)
    marker = adapter_dir / STAGE_DONE_FILE
    return json.loads(marker.read_text()) if marker.is_file() else None


class TrainingSession:
    """Long-lived pieces of a run's training; `close()` it at the end (or use `with`)."""

    def __init__(self, config: RunConfig, *, user_simulator=None, judge_runtime=None,
                 domains: dict[str, Any] | None = None, rollout_options: dict[str, Any] | None = None,
                 budget=None):
        """`rollout_options` go to `make_rollout_func` as they are (e.g. `max_batch_size`, `backend`,
        `extra_logits_processors`: a ScriptedAgent makes a random model follow a script). `budget`: the
        run's `ApiBudget` (agentcl.llm.budget), charged after every step; default: from the config."""
        from ..llm.budget import ApiBudget

        self.budget = budget if budget is not None else ApiBudget(config.run.max_api_cost_usd, config.run.max_api_tokens)
        self.config = config
        self.rollout_options = dict(rollout_options or {})
        self._domains: dict[str, Any] = dict(domains or {})
        self._user_simulator = user_simulator
        self._judge_runtime = judge_runtime
        self._rollout = None
        self._reward_funcs: list[Callable] | None = None
        self.buffer = ConversationBuffer()

    # Built on first use, so a session driven by a synthetic rollout (tests, benchmarks) needs no
    # user simulator or judge.
    @property
    def user_simulator(self):
        if self._user_simulator is None:
            from ..users import make_user_simulator

            self._user_simulator = make_user_simulator(self.config.users)
        return self._user_simulator

    @property
    def judge_runtime(self):
        if self._judge_runtime is None:
            from ..rewards.judge.cache import default_cache_dir
            from ..rewards.judge.runtime import JudgeRuntime

            self._judge_runtime = JudgeRuntime(self.config.judge, user_config=self.config.users,
                                               default_cache_dir=default_cache_dir(self.config.training.output_dir))
        return self._judge_runtime

    @property
    def rollout(self):
        """The rollout engine's TRL function (one for the whole run: it owns the simulator's event loop)."""
        if self._rollout is None:
            from ..rollout.backends import GenerationParams
            from ..rollout.engine import RolloutLimits
            from ..rollout.rollout_func import make_rollout_func

            r = self.config.rollout
            self._rollout = make_rollout_func(
                user_simulator=self.user_simulator,
                domains=self.domain,
                generation=GenerationParams(max_new_tokens=r.max_new_tokens, temperature=self.config.training.temperature,
                                            top_p=self.config.training.top_p),
                limits=RolloutLimits(max_steps=r.max_conversation_steps, max_errors=r.max_errors,
                                     max_total_tokens=r.max_conversation_tokens),
                on_conversation_end=self.judge_runtime.on_conversation_end,
                progress=_is_main_process(),
                **self.rollout_options,
            )
        return self._rollout

    @property
    def reward_fn(self):
        """The task-reward term TRL awaits first: collects the judge futures, records the conversations."""
        return self.reward_funcs()[0]

    def reward_funcs(self) -> list[Callable]:
        """One TRL reward function per reward term switched on (rewards/terms.py), the task reward
        first, in the order of GRPOConfig.reward_weights; each notes its values in the record."""
        if self._reward_funcs is None:
            from ..rewards.terms import reward_funcs, term_weights

            config = self.config
            funcs = reward_funcs(config.judge, max_tokens=config.rollout.max_conversation_tokens,
                                 partial_credit=config.run.partial_credit,
                                 partial_credit_weights=config.run.partial_credit_weights)
            self.buffer.weights = dict(zip(term_weights(config.judge, config.run.partial_credit),
                                           reward_weights(config)))
            self._reward_funcs = recording_reward_funcs(funcs, self.buffer)
        return list(self._reward_funcs)

    # -- data ----------------------------------------------------------------------------------
    def domain(self, name: str):
        """A domain's data (from --data-dir, else the generated default), loaded once."""
        if name not in self._domains:
            from ..registry import load_domain

            self._domains[name] = load_domain(name, self.config.curriculum.data_dir)
        return self._domains[name]

    def stage_tasks(self, stage: StageSpec) -> list[tuple[str, str]]:
        if stage.task_ids is not None:
            return list(stage.task_ids)
        c = self.config.curriculum
        out = []
        for name in stage.domains:
            tasks = self.domain(name).tasks_for_split(c.train_split)
            if c.tasks_per_domain is not None:
                tasks = tasks[: c.tasks_per_domain]
            out.extend((name, t.id) for t in tasks)
        return out

    # -- trainer -------------------------------------------------------------------------------
    def build_trainer(self, stage: StageSpec | str, model, tokenizer, *, step_offset: int = 0,
                      callbacks: Sequence[Any] = (), rollout_func: Callable | None = None,
                      reward_funcs: Sequence[Callable] | None = None, dataset=None):
        """(GRPOTrainer, its TrainingRecordCallback) for one stage; `rollout_func` / `reward_funcs` /
        `dataset` replace ours (tests and benchmarks use synthetic rollouts)."""
        from trl import GRPOTrainer

        from ..rollout.rollout_func import task_dataset

        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is "experimental" in TRL 1.16
        stage = StageSpec.of(stage)
        config = self.config
        if dataset is None:
            tasks = self.stage_tasks(stage)
            if len(tasks) < config.run.tasks_per_step:
                raise ConfigError(f"stage {stage.name!r} has {len(tasks)} training tasks, fewer than "
                                  f"--tasks-per-step {config.run.tasks_per_step}")
            dataset = task_dataset(tasks)
        checkpoint_dir, _ = stage_paths(config, stage.name)
        state = process_state()
        args = build_grpo_config(config, checkpoint_dir, state.num_processes, run_name=_run_name(config, stage.name))
        if stage.ordered:
            args.shuffle_dataset = False
        if stage.max_steps is not None:
            args.max_steps = stage.max_steps
        if "tensorboard" in config.training.report_to:
            os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(config.training.output_dir) / "logs" / stage.name)
        peft_config = None if _is_peft(model) else lora_config(config.model)
        if config.model.load_in_4bit and peft_config is None and not _is_peft(model):
            raise ConfigError("a 4-bit model can only be trained through a LoRA adapter (QLoRA)")
        record = TrainingRecordCallback(stage=stage.name, run_dir=config.training.output_dir, buffer=self.buffer,
                                        accelerator=state, num_generations=config.training.num_generations,
                                        step_offset=step_offset, replayed_from=stage.replayed_from,
                                        max_user_error_share=config.run.max_user_error_share, budget=self.budget)
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=list(reward_funcs) if reward_funcs is not None else self.reward_funcs(),
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            rollout_func=rollout_func or self.rollout,
            peft_config=peft_config,
            callbacks=[record, *callbacks],
        )
        record.trainer = trainer
        return trainer, record

    def train_stage(self, stage: StageSpec | str, model, tokenizer, *, step_offset: int = 0,
                    resume: bool | None = None, callbacks: Sequence[Any] = (), **builder_kwargs) -> TrainResult:
        """Train one stage to its `max_steps` (else `--max-steps`); with `resume`, continue from its latest checkpoint."""
        stage = StageSpec.of(stage)
        config = self.config
        resume = config.run.resume if resume is None else resume
        trainer, record = self.build_trainer(stage, model, tokenizer, step_offset=step_offset, callbacks=callbacks,
                                             **builder_kwargs)
        checkpoint_dir, adapter_dir = stage_paths(config, stage.name)
        resume_from = last_complete_checkpoint(checkpoint_dir, process_state()) if resume else None
        if resume and resume_from is None:
            log.info("stage %s: no checkpoint in %s, starting from scratch", stage.name, checkpoint_dir)
        elif resume_from:
            log.info("stage %s: resuming from %s", stage.name, resume_from)
        started = time.perf_counter()
        self.buffer.take()  # nothing from an earlier, interrupted stage
        from ..output_errors import writing  # a full / read-only disk: say which path, and why

        with writing(checkpoint_dir):
            trainer.train(resume_from_checkpoint=resume_from)
        runtime = time.perf_counter() - started

        trained = trainer.model  # Trainer keeps the unwrapped model here (DDP wraps model_wrapped)
        if record.stopped_by_budget and trainer.state.global_step < trainer.args.max_steps:
            # stopped early by the API budget: the checkpoint holds the state; no final adapter, no
            # done-marker, so --resume continues this stage from the checkpoint
            trainer.accelerator.wait_for_everyone()
            return TrainResult(stage=stage.name, steps=trainer.state.global_step, model=trained, adapter_dir=None,
                               checkpoint_dir=checkpoint_dir, resumed_from=resume_from, log=list(record.steps),
                               conversations_written=record.runs_written, train_runtime_s=runtime,
                               stopped_by_budget=True)
        if _is_peft(trained) and "ref" in getattr(trained, "peft_config", {}):
            trained.delete_adapter("ref")  # TRL's frozen copy for the KL term; the next stage makes its own
        saved_adapter = saved_model = None
        with writing(adapter_dir):
            if _is_peft(trained):
                trainer.save_model(str(adapter_dir))  # every rank calls it; the main process writes
                saved_adapter = adapter_dir
            else:
                saved_model = Path(config.training.output_dir) / "models" / stage.name
                trainer.save_model(str(saved_model))
            if trainer.accelerator.is_main_process:
                adapter_dir.mkdir(parents=True, exist_ok=True)
                (adapter_dir / STAGE_DONE_FILE).write_text(json.dumps(
                    {"stage": stage.name, "steps": trainer.state.global_step, "step_offset": step_offset}, indent=2))
        trainer.accelerator.wait_for_everyone()
        return TrainResult(stage=stage.name, steps=trainer.state.global_step, model=trained,
                           adapter_dir=saved_adapter, checkpoint_dir=checkpoint_dir, model_dir=saved_model,
                           resumed_from=resume_from,
                           log=list(record.steps), conversations_written=record.runs_written,
                           train_runtime_s=runtime)

    def close(self) -> None:
        if self._rollout is not None:
            self._rollout.close(close_user_simulator=True)
        elif self._user_simulator is not None:
            from ..async_runner import api_loop

            api_loop().run(self._user_simulator.aclose())  # never used: its clients may still exist
        if self._judge_runtime is not None:
            self._judge_runtime.close()

    def __enter__(self) -> "TrainingSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def train_stage(config: RunConfig, stage: StageSpec | str, model, tokenizer, *,
                session: TrainingSession | None = None, **kwargs) -> TrainResult:
    """Train one stage (see TrainingSession.train_stage); without a session, a temporary one is used."""
    if session is not None:
        return session.train_stage(stage, model, tokenizer, **kwargs)
    with TrainingSession(config) as own:
        return own.train_stage(stage, model, tokenizer, **kwargs)


def _is_peft(model) -> bool:
    try:
        from peft import PeftModel
    except ImportError:  # pragma: no cover - peft is a dependency
        return False
    return isinstance(model, PeftModel)


def _is_main_process() -> bool:
    return process_state().is_main_process


def _run_name(config: RunConfig, stage: str) -> str:
    base = config.training.run_name or Path(config.training.output_dir).name
    return f"{base}-{stage}"
