"""Evaluate a policy: every task of every target x k trials, batched through the rollout engine.

`PolicyEvaluator.evaluate(model, targets, phase=...)` runs one evaluation phase (e.g. `zero_shot`
or `after_stage_2`) of a model (a base model, or a base model with a trained LoRA adapter):

- trial by trial: before trial k's batch the random state is reset to `seed + k`, so a trial
  samples the same way whenever it is run (and a rerun of a phase is reproducible);
- within a trial, the conversations of every target's tasks run together in lockstep (batched
  agent turns, concurrent user turns), exactly like training rollouts;
- each finished conversation is scored the moment it ends (the task reward: DB, ENV_ASSERTION,
  ACTION, COMMUNICATE, NL assertions through the judge when a JudgeRuntime is given), then becomes a
  `SimulationRun` labelled with its phase and stage (`agentcl.report.metrics.label_run`);
- conversations already stored (`done_ids`) are skipped, so an interrupted evaluation resumes;
- `on_runs(runs)` gets each trial's finished runs (the runner appends them to the results store).

With several processes each rolls out its own shard of a trial's conversations; the runs are
gathered so that the main process sees (and writes) them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from ..data_model import SimulationRun, TerminationReason
from ..rollout.backends import GenerationParams, HFGenerationBackend, stop_token_ids_for
from ..rollout.chat_format import SystemPromptFn, default_system_prompt
from ..rollout.engine import Conversation, RolloutEngine, RolloutItem, RolloutLimits
from ..secrets import redact
from ..users.base import UserSimulator
from ..report.metrics import label_run, make_run_id

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data_model import Task
    from ..domains.base import DomainData
    from ..rewards.pending import PendingConversationReward



@dataclass
class EvalTarget:
    """The evaluation tasks of one stage (one column of the accuracy matrix)."""

    stage: str
    data: "DomainData"
    tasks: list["Task"]


@dataclass
class EvalSettings:
    trials: int = 4
    seed: int = 42  # trial k runs after set_seed(seed + k)
    generation: GenerationParams = field(default_factory=GenerationParams)
    limits: RolloutLimits = field(default_factory=RolloutLimits)
    max_batch_size: int | None = None  # conversations per generate call (GPU memory); None: all

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise ValueError(f"trials must be >= 1, got {self.trials}")


CPU_GENERATE_CHUNK = 8


def default_generate_chunk() -> int | None:
    """Conversations per generate call: all at once on a GPU; chunks of similar length on a CPU, where
    one padded batch of mixed prompt lengths costs ~3x the CPU time (bench/eval_generation_chunks.py)."""
    from ..training.model_loading import use_gpu

    return None if use_gpu() else CPU_GENERATE_CHUNK


def eval_settings_from_config(config: "RunConfig", *, trials: int | None = None) -> EvalSettings:
    """Evaluation sampling and limits: the rollout settings of the run (the policy as it is trained)."""
    r = config.rollout
    return EvalSettings(
        max_batch_size=default_generate_chunk(),
        trials=trials if trials is not None else config.curriculum.eval_trials,
        seed=config.seed,
        generation=GenerationParams(max_new_tokens=r.max_new_tokens, temperature=config.training.temperature,
                                    top_p=config.training.top_p),
        limits=RolloutLimits(max_steps=r.max_conversation_steps, max_errors=max(1, r.max_errors),
                             max_total_tokens=r.max_conversation_tokens),
    )


def expected_run_ids(targets: Sequence[EvalTarget], phase: str, trials: int) -> list[str]:
    """The result keys one phase produces, in run order (trial, target, task)."""
    return [make_run_id(phase, t.stage, t.data.name, task.id, trial)
            for trial in range(trials) for t in targets for task in t.tasks]


def set_trial_seed(seed: int) -> None:
    """Python, NumPy and torch (all devices) random state, as transformers.set_seed does."""
    from transformers import set_seed

    set_seed(seed)


# --- scoring ------------------------------------------------------------------------------------

def _local_reward_hook(conversation: Conversation):
    """Task reward without a JudgeRuntime: local components now, NL assertions by the heuristic judge."""
    from ..rewards.evaluator import start_evaluation

    return start_evaluation(conversation.task, conversation.domain, conversation.messages,
                            conversation.termination_reason, final_environment=conversation.environment)


def wait_for_judges(reward: "PendingConversationReward | None") -> None:
    """Every judge request of the conversation answered (so its API usage is complete)."""
    for future in reward.futures() if reward is not None else ():
        try:
            future.result()
        except Exception:  # noqa: BLE001 - a failed request falls back; its usage is what it is
            pass


def conversation_to_run(conversation: Conversation, *, stage: str, phase: str, seed: int | None,
                        policy: dict[str, Any] | None = None, process_index: int = 0) -> SimulationRun:
    """One finished evaluation conversation as a labelled SimulationRun (reward scored, API usage
    of its user simulator and judge in `extra["usage"]`)."""
    extra: dict[str, Any] = {
        **conversation.counts(),
        "conversation_id": conversation.conversation_id,
        "process_index": process_index,  # which process rolled it out
    }
    try:
        info = conversation.reward.reward_info() if conversation.reward is not None else None
    except Exception as exc:  # noqa: BLE001 - a failed judge leaves the run unscored, never the phase
        info = None
        extra["scoring_error"] = redact(f"{type(exc).__name__}: {exc}")
    wait_for_judges(conversation.reward)
    usage = conversation.usage_record()
    if usage:
        extra["usage"] = usage
    if policy:
        extra["policy"] = dict(policy)
    if conversation.error:
        extra["error"] = conversation.error
    run = SimulationRun(
        id=conversation.conversation_id,
        task_id=conversation.task_id,
        domain=conversation.domain_name,
        trial=conversation.trial,
        seed=seed,
        messages=list(conversation.messages),
        termination_reason=conversation.termination_reason or TerminationReason.AGENT_ERROR,
        reward_info=info,
        extra=extra,
    )
    return label_run(run, phase=phase, stage=stage)


# --- the evaluator --------------------------------------------------------------------------------

class PolicyEvaluator:
    """Runs evaluation phases with one user simulator and one event loop for the whole run.

    `judge_runtime` (agentcl.rewards.judge.runtime.JudgeRuntime) scores NL assertions with the
    configured judge (LLM through the async dispatcher, or heuristic); without it the heuristic
    judge is used. `close()` stops the engine's event loop and closes the user simulator.
    """

    def __init__(self, tokenizer, user_simulator: UserSimulator, *, settings: EvalSettings | None = None,
                 judge_runtime=None, tool_parser: str = "qwen3", system_prompt: SystemPromptFn = default_system_prompt,
                 progress: bool = True, state=None):
        self.tokenizer = tokenizer
        self.user = user_simulator
        self.settings = settings or EvalSettings()
        self.judge_runtime = judge_runtime
        self.tool_parser = tool_parser
        self.system_prompt = system_prompt
        self.progress = progress
        self._state = state
        self._engine: RolloutEngine | None = None

    # -- processes -----------------------------------------------------------------------------
    @property
    def state(self):
        if self._state is None:
            from ..training.model_loading import process_state

            self._state = process_state()
        return self._state

    def _backend(self, model) -> HFGenerationBackend:
        return HFGenerationBackend(model, self.tokenizer, stop_token_ids=stop_token_ids_for(self.tokenizer, model),
                                   max_batch_size=self.settings.max_batch_size)

    def _engine_for(self, backend: HFGenerationBackend) -> RolloutEngine:
        if self._engine is None:
            hook = self.judge_runtime.on_conversation_end if self.judge_runtime is not None else _local_reward_hook
            # the engine lives for the whole run; each phase hands it that phase's model, so the
            # engine itself must not keep a model alive
            self._engine = RolloutEngine(
                self.tokenizer, self.user, backend=_StopTokens(backend.stop_token_ids),
                generation=self.settings.generation,
                limits=self.settings.limits, tool_parser=self.tool_parser, system_prompt=self.system_prompt,
                on_conversation_end=hook, progress=self.progress and self.state.is_main_process,
            )
        return self._engine

    # -- one phase -------------------------------------------------------------------------------
    def evaluate(self, model, targets: Sequence[EvalTarget], *, phase: str, done_ids: Iterable[str] = (),
                 on_runs: Callable[[list[SimulationRun]], Any] | None = None,
                 policy: dict[str, Any] | None = None) -> list[SimulationRun]:
        """Run every (target task, trial) of `phase` not in `done_ids` (the main process's set counts);
        returns the new runs (all of them on every process: each trial's shards are gathered)."""
        settings = self.settings
        state = self.state
        done = self._shared(set(done_ids))  # every process must skip the same runs (they gather per trial)
        pending_by_trial = []
        for trial in range(settings.trials):
            pending = [(t, task) for t in targets for task in t.tasks
                       if make_run_id(phase, t.stage, t.data.name, task.id, trial) not in done]
            pending_by_trial.append(pending)
        total = sum(len(p) for p in pending_by_trial)
        if total == 0:
            return []
        was_training = getattr(model, "training", False)
        model.eval()
        backend = self._backend(model)
        engine = self._engine_for(backend)
        bar = self._phase_bar(phase, total)
        out: list[SimulationRun] = []
        try:
            for trial, pending in enumerate(pending_by_trial):
                if not pending:
                    continue
                seed = settings.seed + trial
                shard = pending[state.process_index::state.num_processes]
                set_trial_seed(seed)  # same seed on every process; each rolls out different conversations
                items = [RolloutItem(task, target.data, trial) for target, task in shard]
                conversations = engine.run(items, backend=backend) if items else []
                runs = [conversation_to_run(c, stage=target.stage, phase=phase, seed=seed, policy=policy,
                                            process_index=state.process_index)
                        for c, (target, _) in zip(conversations, shard)]
                runs = self._gather(runs)
                if state.is_main_process and on_runs is not None and runs:
                    on_runs(runs)
                out.extend(runs)
                if bar is not None:
                    bar.update(len(pending))
                    bar.set_postfix(trial=trial, mean_reward=f"{_mean_reward(out):.2f}")
        finally:
            if bar is not None:
                bar.close()
            if was_training:
                model.train()
        return out

    def _shared(self, done: set[str]) -> set[str]:
        """The main process's view of what is done, on every process."""
        if self.state.num_processes == 1:
            return done
        from accelerate.utils import broadcast_object_list

        box = [done]
        broadcast_object_list(box, from_process=0)
        return box[0]

    def _gather(self, runs: list[SimulationRun]) -> list[SimulationRun]:
        if self.state.num_processes == 1:
            return runs
        from accelerate.utils import gather_object

        records = gather_object([r.model_dump(mode="json") for r in runs])
        return [SimulationRun.model_validate(r) for r in records]

    def _phase_bar(self, phase: str, total: int):
        if not (self.progress and self.state.is_main_process):
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=f"eval {phase}", unit="conv")

    def close(self) -> None:
        from ..async_runner import api_loop

        try:  # the simulator's clients live on the process's API loop
            api_loop().run(self.user.aclose(), timeout=60)
        finally:
            if self._engine is not None:
                self._engine.close(close_user_simulator=False)
                self._engine = None

    def __enter__(self) -> "PolicyEvaluator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _StopTokens:
    """The engine's standing backend: only the stop tokens (every run passes the phase's real backend)."""

    def __init__(self, stop_token_ids: list[int]):
        self.stop_token_ids = list(stop_token_ids)

    def generate(self, requests, params):  # pragma: no cover - evaluate() always passes a backend
        raise RuntimeError("PolicyEvaluator passes each phase's model to the engine; this backend never generates")


def _mean_reward(runs: Sequence[SimulationRun]) -> float:
    rewards = [r.reward_info.reward if r.reward_info is not None else 0.0 for r in runs]
    return sum(rewards) / len(rewards) if rewards else 0.0
