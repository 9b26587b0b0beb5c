#!/usr/bin/env python
"""GRPO training-step cost of LoRA vs QLoRA, side by side: step time, tokens/s, peak GPU memory.

    python bench/train_step.py --shape qwen3-4b      # GPU: a randomly initialised model of Qwen3-4B's shape
    python bench/train_step.py --shape tiny          # CPU is fine: the tiny Qwen3-format agent's shape

Nothing is downloaded: the model is built from a `Qwen3Config` with the real dimensions (4.0B
parameters), saved once to a temporary directory and loaded back through the project's own
loading code (`load_model_and_tokenizer`: bf16 for LoRA, bitsandbytes nf4 for QLoRA), then
trained with the project's GRPOConfig and TRL's GRPOTrainer.

What a "step" is here: one optimizer step of TRL's GRPO on `group_size` conversations of
`--prompt-tokens` + `--completion-tokens` tokens (the whole conversation is the completion, half of
it marked as model tokens by env_mask, like a real multi-turn rollout). The rollout itself is a
fixed synthetic one (random token ids, random rewards): this measures the trainer's work (the
forward + backward passes, gradient checkpointing, optimizer), not generation, which the rollout
benchmarks cover. Each mode runs in its own process so peak-memory figures do not mix.

Without a CUDA GPU, `--shape qwen3-4b` prints why it is skipped and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_shapes import random_model  # noqa: E402

SHAPE_DEFAULTS = {
    # group 8 x 4k-token conversations: the design target (QLoRA within 24 GB)
    "qwen3-4b": dict(group_size=8, prompt_tokens=1024, completion_tokens=3072, micro_batch=1, steps=3),
    "tiny": dict(group_size=4, prompt_tokens=128, completion_tokens=384, micro_batch=2, steps=3),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=sorted(SHAPE_DEFAULTS), default="qwen3-4b")
    p.add_argument("--modes", default="lora,qlora", help="comma-separated: lora, qlora")
    p.add_argument("--group-size", type=int, default=None, help="conversations per step (G)")
    p.add_argument("--prompt-tokens", type=int, default=None)
    p.add_argument("--completion-tokens", type=int, default=None)
    p.add_argument("--micro-batch", type=int, default=None, help="conversations per forward/backward pass")
    p.add_argument("--steps", type=int, default=None, help="timed steps (after one warm-up step)")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--beta", type=float, default=0.0, help=">0 adds TRL's reference pass (adapter disabled)")
    p.add_argument("--no-gradient-checkpointing", action="store_true")
    p.add_argument("--json-out", default=None, help="also write the results table as JSON here")
    # internal: one mode in a fresh process
    p.add_argument("--child-mode", default=None, help=argparse.SUPPRESS)
    p.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key, value in SHAPE_DEFAULTS[args.shape].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def build_and_save_model(shape: str, out_dir: Path) -> None:
    """A randomly initialised model of the shape, saved with a (tiny, offline) tokenizer."""
    import torch

    from transformers import AutoTokenizer

    from agentcl.models import ensure_tiny_agent

    tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_agent())  # the cached offline tokenizer
    model = random_model(shape, tokenizer)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def run_mode(args: argparse.Namespace) -> dict:
    """One mode (lora or qlora) in this process: warm-up step, then timed steps."""
    import random

    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    from agentcl.config import ModelArgs, RunConfig
    from agentcl.training.grpo_args import build_grpo_config
    from agentcl.training.model_loading import load_model_and_tokenizer, lora_config, use_gpu

    gpu = use_gpu()
    config = RunConfig(users=None, judge=None)
    config.model = ModelArgs(model_name_or_path=args.model_dir, load_in_4bit=args.child_mode == "qlora",
                             lora_r=args.lora_r, lora_alpha=2 * args.lora_r, lora_dropout=0.0)
    t = config.training
    t.gradient_checkpointing = not args.no_gradient_checkpointing
    t.num_generations, config.run.tasks_per_step, config.run.micro_batch_size = args.group_size, 1, args.micro_batch
    t.max_steps, t.save_steps, t.beta, t.learning_rate = 1 + args.steps, 10**9, args.beta, 1e-5
    config.rollout.max_conversation_tokens = args.completion_tokens
    config.training.output_dir = tempfile.mkdtemp(prefix="agentcl-bench-")

    t0 = time.perf_counter()
    model, tokenizer = load_model_and_tokenizer(config.model)
    load_s = time.perf_counter() - t0
    grpo_args = build_grpo_config(config, Path(config.training.output_dir) / "checkpoints", num_processes=1)
    grpo_args.save_strategy = "no"
    grpo_args.report_to = []
    grpo_args.disable_tqdm = True

    rng = random.Random(0)
    vocab = len(tokenizer) - 16  # ids the tokenizer can decode (TRL decodes completions for its logs)

    def synthetic_rollout(prompts, trainer):
        n = len(prompts)
        prompt_ids = [[rng.randrange(vocab) for _ in range(args.prompt_tokens)] for _ in range(n)]
        completion_ids = [[rng.randrange(vocab) for _ in range(args.completion_tokens - 1)] + [tokenizer.eos_token_id]
                          for _ in range(n)]
        # alternate blocks of model tokens and environment tokens, half each
        env_mask = [[1 if (i // 64) % 2 == 0 else 0 for i in range(args.completion_tokens)] for _ in range(n)]
        logprobs = [[-1.0] * args.completion_tokens for _ in range(n)]
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": logprobs,
                "env_mask": env_mask}

    def random_reward(completions, **kwargs):
        return [rng.random() for _ in completions]

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self._start, self.peak = [], 0.0, 0

        def on_step_begin(self, *a, **k):
            if gpu:
                torch.cuda.synchronize()
                if len(self.times) == 1:  # after the warm-up step
                    torch.cuda.reset_peak_memory_stats()
            self._start = time.perf_counter()

        def on_step_end(self, *a, **k):
            if gpu:
                torch.cuda.synchronize()
            self.times.append(time.perf_counter() - self._start)

    timer = StepTimer()
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": f"task {i}"}]} for i in range(4)])
    trainer = GRPOTrainer(model=model, reward_funcs=[random_reward], args=grpo_args, train_dataset=dataset,
                          processing_class=tokenizer, rollout_func=synthetic_rollout,
                          peft_config=lora_config(config.model), callbacks=[timer])
    trainer.train()
    timed = timer.times[1:]
    step_s = sum(timed) / len(timed)
    tokens = args.group_size * (args.prompt_tokens + args.completion_tokens)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    return {
        "mode": args.child_mode,
        "device": torch.cuda.get_device_name(0) if gpu else "cpu",
        "load_s": round(load_s, 2),
        "step_s": round(step_s, 4),
        "tokens_per_s": round(tokens / step_s, 1),
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if gpu else None,
        "trainable_params": trainable,
        "timed_steps": len(timed),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child_mode:
        print("RESULT " + json.dumps(run_mode(args)), flush=True)
        return 0

    import torch

    if args.shape == "qwen3-4b" and not torch.cuda.is_available():
        print("skipped: --shape qwen3-4b needs a CUDA GPU (a 4B-parameter GRPO step on CPU is not a useful "
              "figure); run --shape tiny on CPU", flush=True)
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in ("lora", "qlora"):
            print(f"unknown mode {mode!r} (use lora, qlora)", file=sys.stderr)
            return 2

    with tempfile.TemporaryDirectory(prefix="agentcl-bench-model-") as tmp:
        t0 = time.perf_counter()
        build_and_save_model(args.shape, Path(tmp))
        print(f"built and saved a random {args.shape} model in {time.perf_counter() - t0:.1f}s", flush=True)
        results = []
        for mode in modes:
            cmd = [sys.executable, __file__, "--shape", args.shape, "--child-mode", mode, "--model-dir", tmp,
                   "--group-size", str(args.group_size), "--prompt-tokens", str(args.prompt_tokens),
                   "--completion-tokens", str(args.completion_tokens), "--micro-batch", str(args.micro_batch),
                   "--steps", str(args.steps), "--lora-r", str(args.lora_r), "--beta", str(args.beta)]
            if args.no_gradient_checkpointing:
                cmd.append("--no-gradient-checkpointing")
            proc = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not lines:
                print(f"{mode}: failed (exit {proc.returncode})\n{proc.stderr[-4000:]}", file=sys.stderr)
                results.append({"mode": mode, "error": f"exit {proc.returncode}"})
                continue
            results.append(json.loads(lines[-1][len("RESULT "):]))
            print(f"{mode}: done", flush=True)

    tokens = args.group_size * (args.prompt_tokens + args.completion_tokens)
    print(f"\nGRPO step, shape {args.shape}: group {args.group_size} x {args.prompt_tokens}+{args.completion_tokens} "
          f"tokens = {tokens} tokens/step, micro-batch {args.micro_batch}, LoRA r={args.lora_r}, "
          f"gradient checkpointing {'off' if args.no_gradient_checkpointing else 'on'}, beta {args.beta}")
    header = f"{'mode':<7}{'device':<28}{'step s':>9}{'tokens/s':>11}{'peak GiB':>10}{'trainable':>12}"
    print(header)
    print("-" * len(header))
    for r in results:
        if "error" in r:
            print(f"{r['mode']:<7}{r['error']}")
            continue
        peak = "-" if r["peak_gpu_gib"] is None else f"{r['peak_gpu_gib']:.2f}"
        print(f"{r['mode']:<7}{r['device'][:27]:<28}{r['step_s']:>9.3f}{r['tokens_per_s']:>11.0f}{peak:>10}"
              f"{r['trainable_params']:>12,}")
    ok = {r["mode"]: r for r in results if "error" not in r}
    if "lora" in ok and "qlora" in ok:
        lo, q = ok["lora"], ok["qlora"]
        line = f"qlora / lora: step time x{q['step_s'] / lo['step_s']:.2f}"
        if lo["peak_gpu_gib"]:
            line += f", peak memory x{q['peak_gpu_gib'] / lo['peak_gpu_gib']:.2f}"
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
