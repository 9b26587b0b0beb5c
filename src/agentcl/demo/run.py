"""The one-command offline demo: `bash run_with_accelerate.sh demo` (run.py --preset demo).

On a CPU machine with no key and no internet:
1. build the tiny local agent (byte-level BPE + a small Qwen3, cached under ~/.cache/agentcl);
2. generate mock, airline and retail data and keep a few easy kinds of task (agentcl.demo.data);
3. warm-start the tiny agent: gold conversations played through the rollout engine against the
   scripted customer, then a short supervised pass on the agent's tokens
   (agentcl.curriculum.warmstart), so rewards are not all zero from the start;
4. run the curriculum mock -> airline -> retail through the real code paths: the openai user
   simulator over HTTP against the local relay, the offline LLM judge through the async
   dispatcher, TRL GRPO with LoRA, evaluation of every stage before training and after each stage;
5. print the per-stage rewards and where the report is.

`python -m agentcl.demo [--fast] [run.py flags]` runs the same thing directly (`--fast`: test size).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Sequence

from ..config import TINY_MODEL, ConfigError, RunConfig
from ..report import layout
from .data import prepare_domain
from .settings import FAST_OVERRIDES, DemoSettings

WARMSTART_DIR = Path("models") / "warmstart"
BASELINE_PHASE = "before_warm_start"  # the untrained tiny agent on the same evaluation tasks


def _fresh_output_dir(config: RunConfig) -> Path:
    """The demo can be run again and again: a directory holding an earlier run gets a new sibling."""
    out = Path(config.training.output_dir)
    held = any((out / name).exists() for name in (layout.CURRICULUM_JSON, layout.RESULTS_JOURNAL))
    if held and not config.run.resume:
        out = out.with_name(f"{out.name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
        print(f"demo: {config.training.output_dir} holds an earlier run (continue it with --resume); "
              f"this run goes to {out}", flush=True)
        config.training.output_dir = str(out)
    return out


def apply_fast(config: RunConfig) -> None:
    """Shrink the run to test size (same code path)."""
    for key, value in FAST_OVERRIDES.items():
        config.set(key, value)


def _tiny_base(settings: DemoSettings) -> Path:
    from ..models import default_tiny_agent_dir, ensure_tiny_agent

    shape = (settings.tiny_hidden_size, settings.tiny_layers)
    if shape == (64, 2):  # the default build, shared with `--model tiny`
        return ensure_tiny_agent()
    return ensure_tiny_agent(default_tiny_agent_dir().with_name(f"tiny-agent-{shape[0]}x{shape[1]}"),
                             hidden_size=shape[0], num_hidden_layers=shape[1])


class GoldPlayer:
    """Plays tasks with the oracle agent under the run's limits; keeps the successful conversations.

    Used twice: to keep only demo tasks whose gold solution fits the limits (`solvable`), and as
    the warm start's training data (`conversations`).
    """

    def __init__(self, tokenizer, config: RunConfig):
        from ..rollout.engine import RolloutLimits

        r = config.rollout
        self.tokenizer = tokenizer
        self.limits = RolloutLimits(max_steps=r.max_conversation_steps, max_errors=max(1, r.max_errors),
                                    max_total_tokens=r.max_conversation_tokens)
        self.max_new_tokens = r.max_new_tokens  # a gold turn must fit the policy's own turn budget
        self.good: dict[tuple[str, str], object] = {}
        self.failed: dict[tuple[str, str], object] = {}

    def play(self, data, tasks) -> None:
        from ..curriculum.warmstart import gold_conversations
        from ..users.scripted import ScriptedUserSimulator

        todo = [t for t in tasks if (data.name, t.id) not in self.good and (data.name, t.id) not in self.failed]
        if not todo:
            return
        good, bad = gold_conversations(self.tokenizer, [(t, data) for t in todo], ScriptedUserSimulator(),
                                       limits=self.limits, max_new_tokens=self.max_new_tokens)
        self.good.update({(c.domain_name, c.task_id): c for c in good})
        self.failed.update({(c.domain_name, c.task_id): c for c in bad})

    def solvable(self, data, tasks) -> set[str]:
        self.play(data, tasks)
        return {t.id for t in tasks if (data.name, t.id) in self.good}

    def conversations(self, data, task_ids) -> tuple[list, list]:
        self.play(data, [data.task(i) for i in task_ids])
        keys = [(data.name, i) for i in task_ids]
        return [self.good[k] for k in keys if k in self.good], [self.failed[k] for k in keys if k in self.failed]


def _warm_start(config: RunConfig, domains: list, settings: DemoSettings, out: Path, state, base: Path,
                player: GoldPlayer) -> str:
    """Warm-start the tiny agent on the demo's gold conversations; returns the checkpoint directory."""
    from ..curriculum.warmstart import WarmStartSettings, read_warm_start, warm_start
    from ..registry import load_domain

    model_dir = out / WARMSTART_DIR
    if read_warm_start(model_dir) is not None:
        print(f"demo: warm-started model already in {model_dir}", flush=True)
        return str(model_dir)
    if not state.is_main_process:  # one process trains and saves; the others wait for it
        state.wait_for_everyone()
        return str(model_dir)
    good, bad = [], []
    for d in domains:
        g, b = player.conversations(load_domain(d.domain, d.data_dir), d.warmstart)
        good += g
        bad += b
    print(f"demo: supervised warm start on {len(good)} gold conversations, {settings.warm_start_steps} steps",
          flush=True)
    report = warm_start(base, model_dir, good, failed=bad, settings=WarmStartSettings(
        steps=settings.warm_start_steps, batch_size=settings.warm_start_batch_size,
        learning_rate=settings.warm_start_learning_rate, seed=config.seed))
    t = report.training
    print(f"demo: warm start done in {t['train_s']:.0f}s, loss {t['loss_first']:.2f} -> {t['loss_last10_mean']:.2f}",
          flush=True)
    if state.num_processes > 1:
        state.wait_for_everyone()
    return str(model_dir)


def run_demo(config: RunConfig, settings: DemoSettings | None = None, *, fast: bool = False, **loop_options):
    """Prepare data and the warm-started tiny agent, then run the stage loop (`loop_options`: the
    CurriculumRunner's); returns its CurriculumResult."""
    from ..curriculum.runner import run_curriculum

    if config.curriculum.data_dir:  # the demo generates its own data; never ignore the flag silently
        raise ConfigError("--preset demo prepares its own data and cannot use --data-dir "
                          f"{config.curriculum.data_dir}; drop --preset demo to train on that data")
    started = time.perf_counter()
    from ..training.model_loading import process_state

    state = process_state()
    settings = settings or (DemoSettings.fast() if fast else DemoSettings())
    if fast:
        apply_fast(config)
    out = _fresh_output_dir(config)
    c = config.curriculum
    tiny = config.model.name == TINY_MODEL
    player = None
    if tiny:
        from transformers import AutoTokenizer

        base = _tiny_base(settings)
        player = GoldPlayer(AutoTokenizer.from_pretrained(str(base)), config)
    from ..curriculum.stages import stages_from_config

    domains = []
    for stage in stages_from_config(config):
        own = settings.for_domain(stage.domain)
        domains.append(prepare_domain(
            stage.domain, out / "data", seed=config.seed, num_tasks=own.num_tasks, task_groups=own.task_groups,
            train_tasks=stage.max_train_tasks or 3, eval_tasks=stage.max_eval_tasks or 4,
            warmstart_tasks=own.warm_start_tasks_per_domain, policy_sections=settings.policy_sections,
            solvable=player.solvable if player is not None else None))
    for d in domains:
        kinds = ", ".join("+".join(step.split(":")[1] for step in g) for g in d.groups)
        print(f"demo: {d.domain}: {len(d.train)} training, {len(d.test)} evaluation, {len(d.warmstart)} warm-start "
              f"tasks of the kinds {kinds}", flush=True)
    c.data_dir = str(out / "data")
    c.train_split, c.eval_split = "train", "test"
    if tiny:
        config.model = dataclasses.replace(config.model,
                                           model_name_or_path=_warm_start(config, domains, settings, out, state, base, player))
    else:
        print(f"demo: model {config.model.name} is not the tiny agent; no warm start", flush=True)
    result = run_curriculum(config, **loop_options)
    if tiny:
        _evaluate_baseline(config, base, state)
    if state.is_main_process:
        print_summary(result.run_dir, time.perf_counter() - started)
    return result


def _evaluate_baseline(config: RunConfig, base: Path, state) -> None:
    """Evaluate the tiny agent before its warm start on the same tasks (phase `before_warm_start`),
    so the report shows what the warm start and the curriculum changed; then rebuild the report."""
    from ..curriculum.evaluate import EvalTarget, PolicyEvaluator, eval_settings_from_config
    from ..curriculum.stages import plan_stages, stages_from_config
    from ..report import ResultsStore, build_report
    from ..rewards.judge.cache import default_cache_dir
    from ..rewards.judge.runtime import JudgeRuntime
    from ..training.model_loading import load_policy
    from ..curriculum.runner import local_relay
    from ..users import make_user_simulator

    run_dir = Path(config.training.output_dir)
    plans = plan_stages(stages_from_config(config), need_train=False)
    targets = [EvalTarget(p.name, p.data, p.eval_tasks) for p in plans]
    store = ResultsStore(run_dir)
    model_config = dataclasses.replace(config.model, model_name_or_path=str(base), adapter=None)
    if state.is_main_process:
        print(f"[{BASELINE_PHASE}] evaluating the tiny agent before its warm start", flush=True)
    with local_relay(config):
        model, tokenizer = load_policy(model_config)
        with JudgeRuntime(config.judge, user_config=config.users, default_cache_dir=default_cache_dir(run_dir)) as judge, \
                PolicyEvaluator(tokenizer, make_user_simulator(config.users), settings=eval_settings_from_config(config),
                                judge_runtime=judge, state=state) as evaluator:
            evaluator.evaluate(model, targets, phase=BASELINE_PHASE,
                               done_ids=store.done_ids() if state.is_main_process else (),
                               on_runs=store.add if state.is_main_process else None,
                               policy={"model": str(base), "adapter": None})
    if state.is_main_process:
        build_report(run_dir)


def print_summary(run_dir: Path, wall_s: float) -> None:
    """Per stage: held-out pass^1 before training (with its 95% interval), after its own stage (with
    its interval), at the end; mean task reward of the training conversations, first and last step."""
    import json

    metrics = json.loads((Path(run_dir) / layout.METRICS_JSON).read_text(encoding="utf-8"))
    accuracy = metrics.get("accuracy_matrix") or {}
    stages, values = accuracy.get("columns") or [], accuracy.get("values") or []
    learning = {row["stage"]: row for row in metrics.get("learning") or []}
    training = metrics.get("training") or {}
    baseline = {ev["stage"]: ev["pass_k"].get("1") for ev in metrics.get("evaluations") or []
                if ev["phase"] == BASELINE_PHASE}

    def f(x):
        return "  -  " if x is None else f"{x:5.2f}"

    def ci(interval):
        return " " * 12 if not interval else f"[{interval[0]:.2f},{interval[1]:.2f}]"

    print("\ndemo summary: pass^1 on each stage's held-out evaluation tasks, [95% bootstrap interval over tasks]")
    print("  untrained = the tiny agent before its warm start; zero-shot = after the warm start, before GRPO;")
    print("  after it = after GRPO on that stage; at end = after the last stage; separate = the intervals do not overlap")
    print(f"{'stage':<9} {'untrained':>9} {'zero-shot':>18} {'after it':>18} {'gain':>6} {'separate':>8} "
          f"{'at end':>6}   GRPO training reward, first -> last step")
    for j, name in enumerate(stages):
        first = values[0][j] if values else None
        own = values[j + 1][j] if len(values) > j + 1 else None
        last = values[-1][j] if values else None
        row, t = learning.get(name, {}), training.get(name, {})
        gain = f"{row['gain']:+6.2f}" if row else "   -  "
        separate = ("yes" if row.get("separate") else "no") if row else "-"
        print(f"{name:<9} {f(baseline.get(name)):>9} {f(first):>6}{ci(row.get('before_ci95')):>12} "
              f"{f(own):>6}{ci(row.get('after_ci95')):>12} {gain} {separate:>8} {f(last):>6}   "
              f"{f(t.get('reward_mean_first'))} -> {f(t.get('reward_mean_last'))}")
    print(f"\ndemo finished in {wall_s:.0f}s; report (reward per step, learning table, matrices): "
          f"{Path(run_dir) / layout.REPORT_HTML}", flush=True)


class _LiteLLMLoopNoise:
    """Drops asyncio's reports about litellm's background logging task.

    litellm keeps one global logging worker bound to the event loop of its latest call. A run
    calls litellm from several loops (the rollout engine's, the evaluator's, the judge
    dispatcher's), so the worker is re-created on each switch and the old one is reported as
    "Task was destroyed but it is pending" when collected. The calls themselves are unaffected.
    """

    def filter(self, record) -> bool:
        return "LoggingWorker" not in record.getMessage()


def quiet_litellm_loop_noise() -> None:
    """Install the filter above (logging) and its twin for coroutines collected after their loop closed."""
    import logging

    for name in ("asyncio", "LiteLLM"):
        logging.getLogger(name).addFilter(_LiteLLMLoopNoise())
    previous = sys.unraisablehook

    def hook(unraisable):
        if "LoggingWorker" in repr(getattr(unraisable, "object", None)):
            return
        previous(unraisable)

    sys.unraisablehook = hook


def demo_config(argv: Sequence[str]) -> RunConfig:
    """RunConfig for the demo: the demo preset, then a --config file, then flags."""
    from ..config import parse_run_config

    return parse_run_config(["--preset", "demo", *argv], prog="python -m agentcl.demo")


def main(argv: Sequence[str] | None = None) -> int:
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from ..errors import AgentclError
    from ..secrets import install_log_redaction, redact

    argv = list(sys.argv[1:] if argv is None else argv)
    fast = "--fast" in argv
    argv = [a for a in argv if a != "--fast"]
    install_log_redaction()
    quiet_litellm_loop_noise()
    try:
        config = demo_config(argv)
        run_demo(config, fast=fast)
    except AgentclError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))  # a spent API budget: 3
    return 0
