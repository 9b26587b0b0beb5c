#!/usr/bin/env python
"""What the previous-stage anchor costs in memory and time at a stage boundary, measured side by side.

    python bench/anchor_memory.py                      # the tiny agent on CPU
    python bench/anchor_memory.py --model Qwen/Qwen3-4B-Instruct-2507 --lora-r 16   # on a GPU

Two ways to make the previous stage's policy TRL's reference, on the same model and LoRA adapter:
- "ref adapter copy" (what TRL 1.16 does when a stage continues a trained adapter and beta > 0):
  a second, frozen adapter "ref", so the memory cost is one more adapter;
- "merge" (`--anchor previous-stage`): `merge_and_unload` folds the adapter into the weights in
  place, then a fresh adapter is added; the cost is the merge's transient and its time.

Printed: parameter bytes of the base, of one adapter and of each variant's model after the
boundary, the resident-set (CPU) or allocated (CUDA) memory before and after, the peak during
the boundary (CUDA only: the CPU allocator has no peak counter), and the boundary's time.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time


def param_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def memory_now(device: str) -> int:
    import torch

    if device == "cuda":
        return torch.cuda.memory_allocated()
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--lora-r", type=int, default=16)
    args = parser.parse_args(argv)
    import torch
    from peft import LoraConfig, get_peft_model

    from agentcl.config import ModelArgs
    from agentcl.training.anchor import merge_adapter
    from agentcl.training.model_loading import load_base_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    cfg = ModelArgs(model_name_or_path=args.model)
    lora = LoraConfig(r=args.lora_r, lora_alpha=2 * args.lora_r, target_modules=cfg.lora_target_modules,
                      init_lora_weights=False)  # non-zero: a trained adapter
    rows = []
    for variant in ("ref adapter copy", "merge"):
        model = get_peft_model(load_base_model(cfg).to(device), lora)
        base = sum(p.numel() * p.element_size() for n, p in model.named_parameters() if "lora_" not in n)
        adapter = param_bytes(model) - base
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        before = memory_now(device)
        started = time.perf_counter()
        if variant == "ref adapter copy":
            model.add_adapter("ref", model.peft_config["default"])
            for name, param in model.named_parameters():
                if ".default." in name:
                    model.get_parameter(name.replace(".default.", ".ref.")).data.copy_(param.data)
        else:
            model = get_peft_model(merge_adapter(model), LoraConfig(r=args.lora_r, lora_alpha=2 * args.lora_r,
                                                                     target_modules=cfg.lora_target_modules))
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        after = memory_now(device)
        peak = torch.cuda.max_memory_allocated() - before if device == "cuda" else None
        rows.append((variant, base, adapter, param_bytes(model), before, after, peak, seconds))
        del model
    mib = 1 / 2**20
    print(f"model {args.model} on {device}, LoRA r={args.lora_r} on {', '.join(cfg.lora_target_modules)}")
    print(f"{'variant':<18}{'base MiB':>10}{'adapter MiB':>13}{'params after MiB':>18}{'mem before':>12}"
          f"{'mem after':>11}{'peak extra':>12}{'time s':>9}")
    for variant, base, adapter, total, before, after, peak, seconds in rows:
        print(f"{variant:<18}{base * mib:>10.2f}{adapter * mib:>13.3f}{total * mib:>18.2f}{before * mib:>12.1f}"
              f"{after * mib:>11.1f}{'-' if peak is None else f'{peak * mib:.1f}':>12}{seconds:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
