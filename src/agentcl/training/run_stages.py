"""Train every stage of the curriculum in order, continuing one adapter from stage to stage.

This is the training half of a run: run.py calls `run_training(config)`. The curriculum runner
(evaluation before and after each stage, accuracy matrix, report) wraps the same pieces:
`TrainingSession.train_stage` per stage and `load_policy` for evaluation.

With `--resume`, a stage whose final adapter is already saved is skipped (its adapter is loaded
and the next stage continues from it), and an interrupted stage continues from its latest
checkpoint. Only the main process writes files.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..config import RunConfig
from .model_loading import load_base_model, load_model_and_tokenizer, process_state
from .trainer import StageSpec, TrainingSession, TrainResult, finished_stage, stage_paths

log = logging.getLogger(__name__)


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
        server.stop()


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


def _continue_from_adapter(model, adapter_dir: Path):
    """Load a finished stage's adapter as the trainable adapter to continue from."""
    from peft import PeftModel, set_peft_model_state_dict
    from peft.utils import load_peft_weights

    if isinstance(model, PeftModel):
        set_peft_model_state_dict(model, load_peft_weights(str(adapter_dir)))
        return model
    return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=True)


def run_training(config: RunConfig, *, rollout_options: dict[str, Any] | None = None,
                 callbacks: Sequence[Any] = ()) -> list[TrainResult]:
    """Train the stages of `config.curriculum.domains` in order; returns one result per trained stage.

    `rollout_options` go to the rollout function (see TrainingSession); `callbacks` are extra
    transformers TrainerCallbacks for every stage's trainer."""
    state = process_state()
    stages = [StageSpec.of(name) for name in config.curriculum.domains]
    run_dir = Path(config.training.output_dir)
    if state.is_main_process:
        from ..report.results_store import write_curriculum

        run_dir.mkdir(parents=True, exist_ok=True)
        write_curriculum(run_dir, [s.name for s in stages])

    model, tokenizer = load_model_and_tokenizer(config.model)
    results: list[TrainResult] = []
    step_offset = 0
    with local_relay(config), TrainingSession(config, rollout_options=rollout_options) as session:
        for stage in stages:
            done = finished_stage(config, stage.name) if config.run.resume else None
            if done is not None and int(done.get("steps", 0)) >= config.training.max_steps:
                _, adapter_dir = stage_paths(config, stage.name)
                full_model_dir = run_dir / "models" / stage.name
                if (adapter_dir / "adapter_config.json").is_file():
                    model = _continue_from_adapter(model, adapter_dir)
                elif (full_model_dir / "config.json").is_file():  # full-parameter training
                    model = load_base_model(config.model, str(full_model_dir))
                step_offset += int(done["steps"])
                if state.is_main_process:
                    print(f"stage {stage.name}: already trained ({done['steps']} steps), skipped", flush=True)
                continue
            # an unfinished stage, or one to train further (--max-steps raised): resume its checkpoint
            if state.is_main_process:
                print(f"stage {stage.name}: training {config.training.max_steps} steps", flush=True)
            result = session.train_stage(stage, model, tokenizer, step_offset=step_offset, callbacks=callbacks)
            model = result.model
            step_offset += result.steps
            results.append(result)
            if state.is_main_process:
                print(f"stage {stage.name}: done, adapter at {result.adapter_dir}", flush=True)
    if state.is_main_process:
        from ..report.results_store import ResultsStore

        path = ResultsStore(run_dir).finalize({"kind": "training"})
        print(f"training conversations written to {path}", flush=True)
    return results
