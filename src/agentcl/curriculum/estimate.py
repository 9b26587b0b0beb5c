"""What a run will spend on APIs, before it spends it: `python -m agentcl estimate [run.py flags]`.

Two ingredients:
1. **How many conversations** the configuration makes, per stage: training = `--max-steps` x
   `--tasks-per-step` x `--num-generations`; evaluation = every stage's evaluation tasks x
   `--eval-trials` in each evaluation phase (zero-shot and after every stage; the demo adds its
   before-warm-start phase).
2. **What one conversation costs**, measured: `--estimate-sample N` oracle conversations per stage
   (the warm start's gold-action agent, agentcl.curriculum.warmstart) on the stage's training tasks,
   through the configured user simulator and judge, under the run's conversation limits. Their API
   calls, tokens and dollars come from the same per-conversation usage a run records.

Expected = conversations x the sample's mean per conversation, stage by stage. The range is the
sample's spread per conversation (lowest to highest); a trained or untrained policy talks longer
or shorter than the oracle, so it is widened to at least x0.5 - x2 of the expected value.

A run prints the same estimate at start (the stage loop calls `print_run_estimate`; not on
`--resume`), from its own user simulator and judge; the sample's own spend is printed with it.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from ..report.metrics import Usage

if TYPE_CHECKING:
    from ..config import RunConfig
    from .stages import StagePlan

WIDEN = 2.0  # the range covers at least expected / WIDEN .. expected x WIDEN


@dataclass
class StageCounts:
    name: str
    training: int  # conversations
    evaluation: int


@dataclass
class Range:
    """Expected value with a low / high bound, per Usage field."""

    expected: Usage = field(default_factory=Usage)
    low: Usage = field(default_factory=Usage)
    high: Usage = field(default_factory=Usage)

    def add(self, other: "Range") -> "Range":
        self.expected.add(other.expected)
        self.low.add(other.low)
        self.high.add(other.high)
        return self


@dataclass
class SpendEstimate:
    counts: list[StageCounts]
    training: Range
    evaluation: Range
    sample_conversations: int
    sample_spend: Usage
    sample_seconds: float

    @property
    def total(self) -> Range:
        return Range().add(self.training).add(self.evaluation)

    def to_json(self) -> dict[str, Any]:
        def part(r: Range) -> dict[str, Any]:
            return {"expected": r.expected.to_json(), "low": r.low.to_json(), "high": r.high.to_json()}

        return {"stages": [c.__dict__ for c in self.counts], "training": part(self.training),
                "evaluation": part(self.evaluation), "total": part(self.total),
                "sample": {"conversations": self.sample_conversations, "spend": self.sample_spend.to_json()}}

    def format(self) -> str:
        n_train = sum(c.training for c in self.counts)
        n_eval = sum(c.evaluation for c in self.counts)
        lines = [f"API spend estimate (user simulator + judge; from {self.sample_conversations} oracle sample "
                 f"conversations, which spent {self.sample_spend.calls} calls, {self.sample_spend.total_tokens} tokens, "
                 f"${self.sample_spend.cost_usd:.4f} in {self.sample_seconds:.1f}s):",
                 f"  {'':<11}{'conversations':>14}  {'API calls':>22}  {'tokens':>28}  {'cost USD':>26}"]
        for name, n, r in (("training", n_train, self.training), ("evaluation", n_eval, self.evaluation),
                           ("total", n_train + n_eval, self.total)):
            lines.append(f"  {name:<11}{n:>14}  {_cell(r, 'calls'):>22}  {_cell(r, 'total_tokens'):>28}  "
                         f"{_cell(r, 'cost_usd'):>26}")
        lines.append("  (expected [low - high]: the sample's mean and spread per conversation, widened to at least "
                     f"x{1 / WIDEN:g} - x{WIDEN:g}; a policy that talks longer than the oracle costs more)")
        return "\n".join(lines)


def _cell(r: Range, name: str) -> str:
    value = lambda u: getattr(u, name)  # noqa: E731
    if name == "cost_usd":
        return f"{value(r.expected):.4f} [{value(r.low):.4f}-{value(r.high):.4f}]"
    return f"{_short(value(r.expected))} [{_short(value(r.low))}-{_short(value(r.high))}]"


def _short(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.2f}M"
    if n >= 1e4:
        return f"{n / 1e3:.1f}k"
    return f"{int(round(n))}"


# --- 1. conversations ---------------------------------------------------------------------------

def conversation_counts(config: "RunConfig", plans: Sequence["StagePlan"], *, train: bool = True,
                        extra_eval_phases: int = 0) -> list[StageCounts]:
    """Conversations per stage of the whole run (training, and evaluation over all its phases)."""
    t = config.training
    phases = (1 + len(plans) if train else 1) + extra_eval_phases
    per_step = config.run.tasks_per_step * t.num_generations
    # a stage's own max_steps wins over --max-steps, as in training
    return [StageCounts(p.name, (p.stage.max_steps or t.max_steps) * per_step if train else 0,
                        phases * len(p.eval_tasks) * config.curriculum.eval_trials) for p in plans]


def demo_extra_phases(config: "RunConfig") -> int:
    """The demo evaluates the tiny agent once more, before its warm start (agentcl.demo.run)."""
    from ..config import TINY_MODEL

    return 1 if config.run.preset == "demo" and config.model.name == TINY_MODEL else 0


# --- 2. one conversation, measured --------------------------------------------------------------

def sample_usage(config: "RunConfig", plans: Sequence["StagePlan"], tokenizer, user_simulator, judge_runtime,
                 per_stage: int) -> dict[str, list[Usage]]:
    """Per stage, the API usage of `per_stage` oracle conversations on its first training tasks."""
    from ..rollout.engine import RolloutLimits
    from .evaluate import wait_for_judges
    from .warmstart import gold_conversations

    r = config.rollout
    limits = RolloutLimits(max_steps=r.max_conversation_steps, max_errors=max(1, r.max_errors),
                           max_total_tokens=r.max_conversation_tokens)
    out: dict[str, list[Usage]] = {}
    for plan in plans:
        tasks = (plan.train_tasks or plan.eval_tasks)[:per_stage]
        good, bad = gold_conversations(tokenizer, [(task, plan.data) for task in tasks], user_simulator,
                                       limits=limits, max_new_tokens=max(r.max_new_tokens, 512),
                                       on_conversation_end=judge_runtime.on_conversation_end)
        usages = []
        for conversation in [*good, *bad]:
            wait_for_judges(conversation.reward)
            total = Usage()
            for source in conversation.usage_record().values():
                total.add(Usage.from_flat(source))
            usages.append(total)
        out[plan.name] = usages
    return out


def _scaled(per_conversation: Sequence[Usage], n: int) -> Range:
    if not per_conversation or n == 0:
        return Range()
    k = len(per_conversation)
    fields_ = ("calls", "prompt_tokens", "completion_tokens", "cost_usd")
    mean = {f: sum(getattr(u, f) for u in per_conversation) / k for f in fields_}
    lo = {f: min(min(getattr(u, f) for u in per_conversation), mean[f] / WIDEN) for f in fields_}
    hi = {f: max(max(getattr(u, f) for u in per_conversation), mean[f] * WIDEN) for f in fields_}

    def usage(values: dict[str, float]) -> Usage:
        return Usage(prompt_tokens=int(round(values["prompt_tokens"] * n)),
                     completion_tokens=int(round(values["completion_tokens"] * n)),
                     cost_usd=values["cost_usd"] * n, calls=int(math.ceil(values["calls"] * n)))

    return Range(usage(mean), usage(lo), usage(hi))


def estimate_from(counts: Sequence[StageCounts], samples: dict[str, list[Usage]], *, seconds: float = 0.0
                  ) -> SpendEstimate:
    training, evaluation, spent = Range(), Range(), Usage()
    every = [u for us in samples.values() for u in us]
    for c in counts:
        per = samples.get(c.name) or every  # a stage without a sample: the others' conversations
        training.add(_scaled(per, c.training))
        evaluation.add(_scaled(per, c.evaluation))
    for u in every:
        spent.add(u)
    return SpendEstimate(list(counts), training, evaluation, len(every), spent, seconds)


def estimate_run(config: "RunConfig", plans: Sequence["StagePlan"], tokenizer, user_simulator, judge_runtime, *,
                 train: bool = True, extra_eval_phases: int = 0) -> SpendEstimate:
    started = time.perf_counter()
    samples = sample_usage(config, plans, tokenizer, user_simulator, judge_runtime, config.run.estimate_sample)
    counts = conversation_counts(config, plans, train=train, extra_eval_phases=extra_eval_phases)
    return estimate_from(counts, samples, seconds=time.perf_counter() - started)


def print_run_estimate(config: "RunConfig", plans: Sequence["StagePlan"], tokenizer, session, state
                       ) -> SpendEstimate | None:
    """The stage loop's estimate at start: the main process samples and prints, the others go on.
    The sample's spend is printed with it; it is not a conversation of the run, so it is neither in
    metrics.json nor charged to the budget."""
    if not state.is_main_process:
        return None
    try:
        estimate = estimate_run(config, plans, tokenizer, session.user_simulator, session.judge_runtime,
                                extra_eval_phases=demo_extra_phases(config))
    except Exception as exc:  # noqa: BLE001 - an estimate must never stop a run
        print(f"[estimate] no API spend estimate: {type(exc).__name__}: {exc}", flush=True)
        return None
    print(f"[estimate] {estimate.format()}", flush=True)
    return estimate


# --- the command ----------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """`python -m agentcl estimate [run.py flags]`: print the estimate (and `--json` it)."""
    import json

    from ..config import parse_run_config
    from ..rewards.judge.runtime import JudgeRuntime
    from ..training.model_loading import load_tokenizer
    from ..users import make_user_simulator
    from .runner import local_relay
    from .stages import plan_stages, stages_from_config

    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    config = parse_run_config(args)
    if config.run.estimate_sample < 1:
        config.run.estimate_sample = 1
    plans = plan_stages(stages_from_config(config), need_train=True)
    with local_relay(config):
        tokenizer = load_tokenizer(config.model)
        user = make_user_simulator(config.users)
        with JudgeRuntime(config.judge, user_config=config.users) as judge:
            try:
                estimate = estimate_run(config, plans, tokenizer, user, judge,
                                        extra_eval_phases=demo_extra_phases(config))
            finally:
                from ..async_runner import api_loop

                api_loop().run(user.aclose())
    print(json.dumps(estimate.to_json(), indent=2) if as_json else estimate.format())
    return 0
