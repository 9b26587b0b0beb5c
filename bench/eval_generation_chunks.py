#!/usr/bin/env python
"""Evaluation generate on CPU: one padded batch vs length-sorted chunks (HFGenerationBackend max_batch_size).

Why the evaluator chunks agent turns on CPU: a round of an evaluation mixes short prompts (mock,
~1.5k tokens) and long ones (airline / retail, ~4k tokens for the tiny tokenizer). One batch pads
every row to the longest and decodes all rows over that padded cache; chunks of similar length
do not. Prints CPU seconds and wall seconds per setting and the ratio to the single batch.

    python bench/eval_generation_chunks.py [--short 8] [--long 14] [--new-tokens 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=8, help="conversations with a 1.5k-token context")
    parser.add_argument("--long", type=int, default=14, help="conversations with a 4k-token context")
    parser.add_argument("--new-tokens", type=int, default=40)
    parser.add_argument("--chunks", default="none,8,4", help="max_batch_size values to compare (none = one batch)")
    args = parser.parse_args()

    import torch

    from agentcl.models import load_tiny_agent
    from agentcl.rollout import GenerationParams, GenerationRequest, HFGenerationBackend

    model, tokenizer = load_tiny_agent()
    generator = torch.Generator().manual_seed(0)
    lengths = [1500] * args.short + [4000] * args.long
    requests = [GenerationRequest(torch.randint(10, len(tokenizer) - 10, (n,), generator=generator).tolist(),
                                  args.new_tokens) for n in lengths]
    params = GenerationParams(max_new_tokens=args.new_tokens)
    print(f"{len(requests)} agent turns ({args.short} x 1.5k + {args.long} x 4k context), {args.new_tokens} new tokens, "
          f"torch threads {torch.get_num_threads()}")
    baseline = None
    for choice in args.chunks.split(","):
        size = None if choice == "none" else int(choice)
        backend = HFGenerationBackend(model, tokenizer, max_batch_size=size)
        backend.generate(requests[:2], params)  # warm-up
        cpu, wall = time.process_time(), time.perf_counter()
        backend.generate(requests, params)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        baseline = baseline or cpu
        print(f"max_batch_size={choice:>4}: {cpu:6.1f} CPU s  {wall:6.1f} wall s  ratio {baseline / cpu:4.2f}x "
              "(CPU time vs one batch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
