#!/usr/bin/env python
"""Does GRPO make the agent better on held-out tasks? A learning curve with a control arm.

    python bench/learning_curve.py --domain mock --seeds 0,1,2
    python bench/learning_curve.py --smoke        # test size: seconds, same code path

For each seed, on one domain (offline: generated data, the scripted customer in-process, the
task reward computed locally; no network, no judge):

1. data: generate the domain's tasks, keep the easiest kinds; three disjoint sets from the
   generator's own split: warm-start and GRPO training tasks from its *train* split, held-out
   evaluation tasks from its *test* split (agentcl.demo.data.prepare_domain);
2. warm start: a short supervised pass on gold conversations of warm-start tasks only, kept short
   so the starting success is moderate (agentcl.curriculum.warmstart);
3. evaluate the warm-started policy ("zero-shot", before any GRPO) on the held-out tasks, k
   trials each (sampled at the rollout temperature; trial t seeded with seed*1000 + t);
4. two arms from the same warm-started weights, with the same seed, tasks and settings:
   - grpo: N GRPO steps (TRL GRPOTrainer, our rollout_func and reward);
   - control: identical, but each step's rewards are shuffled across the batch
     (agentcl.training.control), so no reward says anything about the conversation it is given;
5. evaluate each arm again on the same held-out tasks, same trials and seeds.

Printed and written to <out>/learning_curve.json: held-out pass^1 before and after with 95%
bootstrap intervals over tasks, per arm; the mean task reward of the training conversations per
step and the fraction of groups whose rewards were all equal (no gradient), per arm; wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("ACCELERATE_USE_CPU", "true")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ARMS = ("grpo", "control")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--domain", default="mock", choices=("mock", "airline", "retail"))
    p.add_argument("--model", default="tiny", help="tiny (offline tiny Qwen3-format agent) or smollm2-135m")
    p.add_argument("--tiny-hidden-size", type=int, default=64)
    p.add_argument("--tiny-layers", type=int, default=2)
    p.add_argument("--seeds", default="0", help="comma-separated seeds (each a full run: data, warm start, arms)")
    p.add_argument("--num-tasks", type=int, default=200, help="tasks generated per domain")
    p.add_argument("--task-groups", type=int, default=2, help="keep the N easiest task kinds")
    p.add_argument("--policy-sections", type=int, default=1, help="keep the policy's first N sections (short prompts)")
    p.add_argument("--warm-start-tasks", type=int, default=12)
    p.add_argument("--warm-start-steps", type=int, default=60)
    p.add_argument("--warm-start-lr", type=float, default=5e-3)
    p.add_argument("--train-tasks", type=int, default=16, help="GRPO training tasks (cycled through)")
    p.add_argument("--eval-tasks", type=int, default=16, help="held-out evaluation tasks")
    p.add_argument("--trials", type=int, default=4, help="k: trials per held-out task")
    p.add_argument("--steps", type=int, default=20, help="GRPO steps per arm")
    p.add_argument("--group-size", type=int, default=8)
    p.add_argument("--tasks-per-step", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--warmup-steps", type=int, default=5,
                   help="linear learning-rate warm-up over the first N GRPO steps (Adam's first steps on a fresh "
                        "adapter are full-size whatever the gradient; without it they jolt the warm-started policy)")
    p.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--lora-r", type=int, default=1, help="LoRA rank (1: few directions for a noisy gradient to drift "
                   "in, which lets the learning rate be high; README, 'Benchmarks')")
    p.add_argument("--lora-modules-to-save", default="norm", metavar="NAMES",
                   help="comma-separated modules trained in full beside the adapter (PEFT modules_to_save); 'norm' "
                        "trains the RMSNorm weights, which set the scale of the logits that LoRA can hardly change; '' "
                        "for none")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (training and evaluation)")
    p.add_argument("--loss-type", default="dapo")
    p.add_argument("--beta", type=float, default=0.0, help="KL coefficient towards the warm-started policy")
    p.add_argument("--num-iterations", type=int, default=1)
    p.add_argument("--partial-credit", type=float, default=0.0, help="weight of the partial-credit term (0: off)")
    p.add_argument("--reward", default="task", choices=("task", "shorter"),
                   help="task: the task reward (the experiment); shorter: -(completion tokens)/100 instead, a "
                        "diagnostic that the loop moves the policy wherever a reward points (held-out pass^1 falls)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any further training flag (a GRPOConfig, ModelConfig or agentcl field; repeatable), "
                        "e.g. --set top_entropy_quantile=0.2")
    p.add_argument("--max-steps-per-conversation", type=int, default=16)
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--max-conversation-tokens", type=int, default=4608)
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--reuse-warm-start", default=None, metavar="DIR",
                   help="take the warm-started model of an earlier run of the same seed and settings from DIR "
                        "(<out>/seed<N>/warmstart) instead of training it again (to run an arm in parallel)")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1),
                   help="torch CPU threads (1 when two arms run as parallel processes on 2 cores)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for the intervals")
    p.add_argument("--out", default="outputs/learning_curve")
    p.add_argument("--smoke", action="store_true", help="test size (seconds): tiny everything, same code path")
    p.add_argument("--combine", default=None, metavar="A.json,B.json",
                   help="merge the summaries of runs of the same seeds with different --arms (run in parallel "
                        "processes) into <out>/learning_curve.json; their 'before' figures must agree")
    args = p.parse_args(argv)
    if args.smoke:
        args.num_tasks, args.warm_start_tasks, args.warm_start_steps = 40, 2, 2
        args.train_tasks, args.eval_tasks, args.trials = 1, 1, 1
        args.steps, args.group_size, args.bootstrap = 1, 2, 100
        args.max_steps_per_conversation, args.max_new_tokens = 10, 48  # gold turns must fit (task selection)
    return args


# -- statistics -------------------------------------------------------------------------------------
def pass_hat_1(successes: dict[str, list[float]]) -> float:
    """Mean over tasks of the task's success rate (pass^1)."""
    rates = [sum(v) / len(v) for v in successes.values() if v]
    return sum(rates) / len(rates) if rates else float("nan")


def bootstrap_interval(successes: dict[str, list[float]], resamples: int, seed: int) -> tuple[float, float]:
    """95% percentile bootstrap interval of pass^1, resampling tasks (trials stay with their task)."""
    from agentcl.report.metrics import bootstrap_interval as interval

    found = interval([sum(v) / len(v) for v in successes.values() if v], resamples=resamples, seed=seed)
    return found if found is not None else (float("nan"), float("nan"))


def summarize(runs, resamples: int, seed: int) -> dict:
    successes: dict[str, list[float]] = {}
    for run in runs:
        reward = run.reward_info.reward if run.reward_info is not None else 0.0
        successes.setdefault(run.task_id, []).append(1.0 if reward >= 1.0 - 1e-6 else 0.0)
    low, high = bootstrap_interval(successes, resamples, seed)
    return {"pass1": pass_hat_1(successes), "ci95": [low, high], "tasks": len(successes),
            "conversations": sum(len(v) for v in successes.values()),
            "per_task": {k: sum(v) / len(v) for k, v in sorted(successes.items())}}


async def shorter_reward(prompts, completions, completion_ids, **kwargs) -> list[float]:
    """The diagnostic reward of --reward shorter: the fewer completion tokens, the better."""
    return [-len(ids) / 100.0 for ids in completion_ids]


class RewardRecorder:
    """Wraps the task-reward function: keeps each step's real rewards (before any shuffling)."""

    def __init__(self, inner, group_size: int):
        self.inner, self.group_size, self.steps = inner, group_size, []
        self.__name__ = getattr(inner, "__name__", "reward")

    async def __call__(self, *args, **kwargs):
        values = await self.inner(*args, **kwargs)
        self.steps.append([float(v) for v in values])
        return values

    def curve(self) -> list[dict]:
        out = []
        for i, values in enumerate(self.steps):
            groups = [values[g:g + self.group_size] for g in range(0, len(values), self.group_size)]
            out.append({"step": i + 1, "reward_mean": sum(values) / len(values),
                        "frac_groups_zero_std": sum(max(g) == min(g) for g in groups) / len(groups)})
        return out


# -- one seed -----------------------------------------------------------------------------------------
def run_config(args, model_dir: str, out: Path, seed: int):
    from agentcl.config import parse_run_config

    flags = {
        "seed": seed, "model": model_dir, "use_peft": args.lora, "lora_r": args.lora_r,
        "lora_alpha": 2 * args.lora_r, "lora_dropout": 0.0, "gradient_checkpointing": False,
        "max_conversation_steps": args.max_steps_per_conversation, "max_new_tokens": args.max_new_tokens,
        "max_conversation_tokens": args.max_conversation_tokens, "temperature": args.temperature, "max_errors": 3,
        "num_generations": args.group_size, "tasks_per_step": args.tasks_per_step, "max_steps": args.steps,
        "learning_rate": args.lr, "warmup_steps": args.warmup_steps,
        "lr_scheduler_type": "constant_with_warmup" if args.warmup_steps else "constant",
        "loss_type": args.loss_type, "num_iterations": args.num_iterations,
        "save_steps": 10_000, "save_total_limit": 1, "logging_steps": 1, "beta": args.beta,
        "partial_credit": args.partial_credit, "output_dir": str(out),
        "lora_modules_to_save": args.lora_modules_to_save,  # "" is none
    }
    extra = [f"--{item}" for item in args.set]
    return parse_run_config([f"--{key}={value}" for key, value in flags.items()] + extra, prog="learning_curve")


def evaluate(model, tokenizer, data, task_ids, args, seed: int, phase: str):
    from agentcl.curriculum.evaluate import EvalSettings, EvalTarget, PolicyEvaluator
    from agentcl.rollout.backends import GenerationParams
    from agentcl.rollout.engine import RolloutLimits
    from agentcl.users.scripted import ScriptedUserSimulator

    settings = EvalSettings(
        trials=args.trials, seed=seed * 1000,
        generation=GenerationParams(max_new_tokens=args.max_new_tokens, temperature=args.temperature),
        limits=RolloutLimits(max_steps=args.max_steps_per_conversation, max_errors=3,
                             max_total_tokens=args.max_conversation_tokens))
    target = EvalTarget(args.domain, data, [data.task(i) for i in task_ids])
    with PolicyEvaluator(tokenizer, ScriptedUserSimulator(), settings=settings, progress=False) as evaluator:
        return evaluator.evaluate(model, [target], phase=phase)


def base_model_dir(args) -> Path:
    if args.model == "tiny":
        from agentcl.models import default_tiny_agent_dir, ensure_tiny_agent

        shape = (args.tiny_hidden_size, args.tiny_layers)
        if shape == (64, 2):
            return ensure_tiny_agent()
        return ensure_tiny_agent(default_tiny_agent_dir().with_name(f"tiny-agent-{shape[0]}x{shape[1]}"),
                                 hidden_size=shape[0], num_hidden_layers=shape[1])
    from agentcl.training.model_loading import resolve_model_path

    return Path(resolve_model_path(args.model))


def run_seed(args, seed: int, root: Path) -> dict:
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    from agentcl.config import parse_run_config
    from agentcl.curriculum.warmstart import WarmStartSettings, warm_start
    from agentcl.demo.data import prepare_domain
    from agentcl.demo.run import GoldPlayer
    from agentcl.registry import load_domain
    from agentcl.training.control import shuffled_reward_fn
    from agentcl.training.trainer import StageSpec, TrainingSession
    from agentcl.users.scripted import ScriptedUserSimulator

    out = root / f"seed{seed}"
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    base = base_model_dir(args)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    limits_config = run_config(args, str(base), out, seed)
    player = GoldPlayer(tokenizer, limits_config)
    prepared = prepare_domain(args.domain, out / "data", seed=seed, num_tasks=args.num_tasks,
                              task_groups=args.task_groups, train_tasks=args.train_tasks, eval_tasks=args.eval_tasks,
                              warmstart_tasks=args.warm_start_tasks, policy_sections=args.policy_sections,
                              solvable=player.solvable)
    data = load_domain(args.domain, prepared.data_dir)
    assert not set(prepared.test) & (set(prepared.train) | set(prepared.warmstart)), "held-out tasks leaked"
    timings["data_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    if args.reuse_warm_start:
        from agentcl.curriculum.warmstart import read_warm_start

        ws_dir = Path(args.reuse_warm_start)
        saved = read_warm_start(ws_dir)
        if saved is None:
            raise SystemExit(f"--reuse-warm-start {ws_dir}: no finished warm start there (warmstart.json missing)")
        report = argparse.Namespace(training=saved["training"])
        good = [None] * saved["gold_conversations"]
    else:
        good, bad = player.conversations(data, prepared.warmstart)
        ws_dir = out / "warmstart"
        report = warm_start(base, ws_dir, good, failed=bad, progress=False, settings=WarmStartSettings(
            steps=args.warm_start_steps, batch_size=4, learning_rate=args.warm_start_lr, seed=seed))
    timings["warm_start_s"] = time.perf_counter() - t
    print(f"[seed {seed}] {args.domain}: kinds {prepared.groups}; {len(prepared.warmstart)} warm-start, "
          f"{len(prepared.train)} training, {len(prepared.test)} held-out tasks; warm start "
          f"{report.training['steps']} steps on {len(good)} gold conversations, loss "
          f"{report.training['loss_first']:.2f} -> {report.training['loss_last10_mean']:.2f}", flush=True)

    def load_start():
        model = AutoModelForCausalLM.from_pretrained(str(ws_dir))
        tok = AutoTokenizer.from_pretrained(str(ws_dir))
        tok.padding_side = "left"
        return model, tok

    t = time.perf_counter()
    model, tok = load_start()
    before = summarize(evaluate(model, tok, data, prepared.test, args, seed, "before"), args.bootstrap, seed)
    timings["eval_before_s"] = time.perf_counter() - t
    print(f"[seed {seed}] held-out pass^1 before GRPO: {before['pass1']:.3f} "
          f"[{before['ci95'][0]:.3f}, {before['ci95'][1]:.3f}]", flush=True)

    arms = {}
    for arm in [a for a in args.arms.split(",") if a]:
        t = time.perf_counter()
        set_seed(seed)
        model, tok = load_start()
        config = run_config(args, str(ws_dir), out / arm, seed)
        config.curriculum.data_dir = str(out / "data")
        with TrainingSession(config, user_simulator=ScriptedUserSimulator(), domains={args.domain: data}) as session:
            recorder = RewardRecorder(session.reward_fn if args.reward == "task" else shorter_reward, args.group_size)
            funcs = [recorder, *session.reward_funcs()[1:]]
            if arm == "control":
                funcs = [shuffled_reward_fn(f, seed=seed) for f in funcs]  # same seed: one permutation for all
            result = session.train_stage(StageSpec(args.domain, [args.domain],
                                                   task_ids=[(args.domain, i) for i in prepared.train]),
                                         model, tok, reward_funcs=funcs)
        train_s = time.perf_counter() - t
        t = time.perf_counter()
        after = summarize(evaluate(result.model, tok, data, prepared.test, args, seed, f"after_{arm}"),
                          args.bootstrap, seed)
        curve = recorder.curve()
        arms[arm] = {"after": after, "gain": after["pass1"] - before["pass1"], "train_curve": curve,
                     "train_s": train_s, "eval_after_s": time.perf_counter() - t,
                     "trainer_log": [{k: v for k, v in e.items() if isinstance(v, (int, float, str))}
                                     for e in result.log]}
        rewards = " ".join(f"{c['reward_mean']:.2f}" for c in curve)
        print(f"[seed {seed}] {arm}: pass^1 after {after['pass1']:.3f} [{after['ci95'][0]:.3f}, "
              f"{after['ci95'][1]:.3f}] (gain {arms[arm]['gain']:+.3f}); train reward per step: {rewards}; "
              f"groups with equal rewards: {sum(c['frac_groups_zero_std'] for c in curve) / max(1, len(curve)):.2f}; "
              f"train {train_s:.0f}s", flush=True)
    return {"seed": seed, "kinds": [list(g) for g in prepared.groups], "warm_start": report.training | {
        "losses": None}, "tasks": {"warmstart": prepared.warmstart, "train": prepared.train, "test": prepared.test},
            "before": before, "arms": arms, "timings": timings, "wall_s": time.perf_counter() - t0}


def combine(paths: list[str]) -> dict:
    """One summary from runs that differ only in --arms (same seeds, same settings otherwise)."""
    parts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    merged = dict(parts[0], command=[p["command"] for p in parts], wall_s=max(p["wall_s"] for p in parts),
                  combined_from=paths)
    by_seed: dict[int, dict] = {}
    for part in parts:
        for result in part["results"]:
            seen = by_seed.setdefault(result["seed"], dict(result, arms={}))
            if (seen["before"]["pass1"], seen["tasks"]) != (result["before"]["pass1"], result["tasks"]):
                raise SystemExit(f"seed {result['seed']}: the runs disagree before GRPO; they are not the same run")
            seen["arms"].update(result["arms"])
    merged["results"] = [by_seed[s] for s in sorted(by_seed)]
    return merged


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.combine:
        from agentcl.demo.learning_story import learning_rows, write_learning_report

        summary = combine([p for p in args.combine.split(",") if p])
        root = Path(args.out)
        root.mkdir(parents=True, exist_ok=True)
        (root / "learning_curve.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print("\n".join(learning_rows(summary)))
        write_learning_report(summary, root / "learning_curve.html")
        return 0
    import torch

    torch.set_num_threads(max(1, args.threads))
    from agentcl.demo.learning_story import learning_rows, write_learning_report
    from agentcl.demo.run import quiet_litellm_loop_noise

    quiet_litellm_loop_noise()
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    results = [run_seed(args, int(s), root) for s in args.seeds.split(",") if s.strip()]
    wall = time.perf_counter() - started
    summary = {"command": " ".join([sys.executable, *sys.argv]), "args": vars(args), "wall_s": wall,
               "load_average_at_start": load, "load_average_at_end": os.getloadavg()[0] if load is not None else None,
               "cpu_count": os.cpu_count(), "results": results}
    path = root / "learning_curve.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n" + "\n".join(learning_rows(summary)))
    report = write_learning_report(summary, root / "learning_curve.html")
    print(f"\nwall {wall:.0f}s (load average {load} at start); figures in {path}, plot in {report}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
