"""`hf_user_simulator`: the rollback to a local transformers model (no API needed).

Loads a model directory (never the hub at run time), optionally in 4-bit nf4 via bitsandbytes, and
answers the user turns of many conversations with one batched `generate` per round: the prompts are
rendered with the model's own chat template (user tools included), left-padded, generated together.
Replies that contain `<tool_call>{...}</tool_call>` blocks run those user tools and go to another
round, only for the conversations that called tools.

The model is this simulator's own copy, frozen (no gradients) and in eval mode: never hand it to
anything that trains, and never pass it the policy model.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any, ClassVar

from ..data_model import ToolCall
from .base import UserConversation, UserSimulator, UserTurn
from .chat_user import TurnInProgress, UserReply
from .config import UserConfigError, UserSimulatorConfig

log = logging.getLogger("agentcl.users.hf")

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S)


def parse_generated(text: str) -> tuple[str, list[ToolCall]]:
    """(text, tool calls) from a Qwen/Hermes-style reply; malformed tool-call JSON is dropped."""
    text = _THINK.sub("", text)
    calls = []
    for block in _TOOL_CALL.findall(text):
        try:
            data = json.loads(block)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            args = data.get("arguments") or {}
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except json.JSONDecodeError:
                    args = {}
            calls.append(ToolCall(name=data["name"], arguments=args if isinstance(args, dict) else {}, requestor="user"))
    return _TOOL_CALL.sub("", text).strip(), calls


def _for_template(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """HF chat templates expect tool-call arguments as mappings, not JSON strings."""
    out = []
    for m in messages:
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                fn = dict(c["function"])
                if isinstance(fn.get("arguments"), str):
                    try:
                        fn["arguments"] = json.loads(fn["arguments"] or "{}")
                    except json.JSONDecodeError:
                        fn["arguments"] = {}
                calls.append({**c, "function": fn})
            m = {**m, "tool_calls": calls, "content": m.get("content") or ""}
        out.append(m)
    return out


class HFUserSimulator(UserSimulator):
    name: ClassVar[str] = "hf_user_simulator"

    def __init__(self, model_path: str | Path | None = None, *, model: Any = None, tokenizer: Any = None,
                 device: str = "auto", load_in_4bit: bool = False, max_new_tokens: int = 256,
                 temperature: float = 0.0, max_tool_rounds: int = 4, batch_size: int | None = None, seed: int = 0,
                 generate_kwargs: dict[str, Any] | None = None):
        if model is None or tokenizer is None:
            model, tokenizer = self._load(model_path, device, load_in_4bit)
            model.requires_grad_(False)  # our own frozen copy: nothing here ever trains
        self.model, self.tokenizer = model, tokenizer
        self.model.eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_new_tokens, self.temperature = max_new_tokens, temperature
        self.max_tool_rounds, self.batch_size = max_tool_rounds, batch_size
        self.generate_kwargs = dict(generate_kwargs or {})  # e.g. top_p, repetition_penalty, logits_processor
        self.generate_calls = 0  # batched generate() calls so far (tests and benchmarks read it)
        self.seed = seed
        self._lock = threading.Lock()  # one generate at a time on this model

    @staticmethod
    def _load(model_path: str | Path | None, device: str, load_in_4bit: bool):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not model_path:
            raise UserConfigError("hf_user_simulator needs --user-model pointing at a local model directory")
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise UserConfigError(f"hf_user_simulator: model directory not found: {path} "
                                  "(models are never downloaded at run time; save one there first)")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        kwargs: dict[str, Any] = {"local_files_only": True}
        if load_in_4bit:
            from transformers import BitsAndBytesConfig

            compute = torch.bfloat16 if device.startswith("cuda") else torch.float32
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute)
            kwargs["device_map"] = {"": device}
        else:
            kwargs["dtype"] = torch.bfloat16 if device.startswith("cuda") else torch.float32
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        if not load_in_4bit:
            model = model.to(device)
        return model, tokenizer

    @classmethod
    def from_config(cls, config: UserSimulatorConfig) -> "HFUserSimulator":
        return cls(config.hf_model, device=config.hf_device, load_in_4bit=config.load_in_4bit,
                   max_new_tokens=config.max_new_tokens, temperature=config.temperature,
                   max_tool_rounds=config.max_tool_rounds, batch_size=config.hf_batch_size, seed=config.seed)

    # -- turns -----------------------------------------------------------------------------
    async def respond(self, conversation: UserConversation) -> UserTurn:
        return (await self.respond_batch([conversation]))[0]

    async def respond_batch(self, conversations: list[UserConversation]) -> list[UserTurn]:
        turns = [TurnInProgress(c, self.max_tool_rounds) for c in conversations]
        waiting = list(range(len(turns)))
        while waiting:
            requests = [(turns[i].messages, turns[i].offered_tools) for i in waiting]
            # generate in a worker thread so the event loop keeps serving other work (judges, HTTP)
            replies = await asyncio.to_thread(self.generate_replies, requests)
            waiting = [i for i, reply in zip(waiting, replies) if not turns[i].add(reply)]
        return [t.final for t in turns]  # type: ignore[misc]

    def generate_replies(self, requests: list[tuple[list[dict[str, Any]], list[dict[str, Any]] | None]]) -> list[UserReply]:
        """One batched generate (per `batch_size` chunk) for many requests."""
        size = self.batch_size or len(requests) or 1
        out: list[UserReply] = []
        for start in range(0, len(requests), size):
            out += self._generate_chunk(requests[start:start + size])
        return out

    def _generate_chunk(self, requests: list[tuple[list[dict[str, Any]], list[dict[str, Any]] | None]]) -> list[UserReply]:
        import torch

        prompts = [self.tokenizer.apply_chat_template(_for_template(messages), tools=tools or None, tokenize=False,
                                                      add_generation_prompt=True, enable_thinking=False)
                   for messages, tools in requests]
        device = next(self.model.parameters()).device
        batch = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        sampling = {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {"do_sample": False}
        devices = [device.index or 0] if device.type == "cuda" else []
        # sampling draws from its own seeded stream: the training process's RNG is left untouched
        with self._lock, torch.inference_mode(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.seed + self.generate_calls)
            generated = self.model.generate(**batch, max_new_tokens=self.max_new_tokens,
                                            pad_token_id=self.tokenizer.pad_token_id,
                                            **{**sampling, **self.generate_kwargs})
            self.generate_calls += 1
        new_tokens = generated[:, batch["input_ids"].shape[1]:]
        replies = []
        special = set(self.tokenizer.all_special_ids)
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.eos_token_id}
        for row, prompt_len in zip(new_tokens.tolist(), batch["attention_mask"].sum(dim=1).tolist()):
            end = next((i for i, t in enumerate(row) if t in eos_ids), len(row))
            kept = [t for t in row[:end] if t not in special]
            text, calls = parse_generated(self.tokenizer.decode(kept, skip_special_tokens=False))
            replies.append(UserReply(text, calls, {"prompt_tokens": int(prompt_len), "completion_tokens": len(kept)}))
        return replies

    async def aclose(self) -> None:
        self.model = None
