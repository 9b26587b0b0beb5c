"""Randomly initialised models of real shapes for the benchmarks (no weights can be downloaded).

`random_model("qwen3-4b", tokenizer)` has Qwen/Qwen3-4B-Instruct-2507's published dimensions
(config.json: 4.0B parameters), so memory and FLOPs match the real model; `"tiny"` is the
project's offline tiny agent shape. The tokenizer is the tiny offline one in both cases (its ids
are a subset of the 4B vocabulary).
"""

from __future__ import annotations

QWEN3_4B = dict(vocab_size=151936, hidden_size=2560, intermediate_size=9728, num_hidden_layers=36,
                num_attention_heads=32, num_key_value_heads=8, head_dim=128, max_position_embeddings=262144,
                rope_theta=5_000_000.0, rms_norm_eps=1e-6, tie_word_embeddings=True)
SHAPES = ("qwen3-4b", "tiny")


def random_model(shape: str, tokenizer, device: str | None = None):
    """The model, random weights; qwen3-4b is built in bf16 directly on `device` (default: cuda if any)."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    from agentcl.models import build_tiny_model

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if shape == "tiny":
        return build_tiny_model(tokenizer).to(device)
    config = Qwen3Config(**QWEN3_4B, eos_token_id=[tokenizer.eos_token_id], pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=None)
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):  # initialise on the GPU: seconds instead of minutes on CPU
            model = Qwen3ForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.generation_config.eos_token_id = [tokenizer.eos_token_id]
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model
