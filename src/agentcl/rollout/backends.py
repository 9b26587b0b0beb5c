"""Generation backends: one batched call produces the next agent turn of many conversations.

`HFGenerationBackend` (the default) runs `model.generate` on padded token ids with the KV cache
(sharing the KV of the common system-prompt prefix across rows), and records the sampling log-probability of every generated token: log_softmax(logits / T)
of the model's raw logits, which is what TRL recomputes as the "old" log-probs (so the two agree
up to numerics). Only one step's distribution is held at a time, so memory stays O(batch x vocab)
even for 150k-token vocabularies.

`VLLMTrainerBackend` is the seam for TRL's vLLM modes (server / colocate): it hands token ids to
`trainer.vllm_generation`. It is only built when vllm is importable and the trainer uses vLLM.

A backend whose `generate` is a collective across processes sets `collective = True`: every
process must then call it once per engine round, with any number of requests (none included),
and the engine keeps its rounds in step across processes (see engine.py).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence


@dataclass
class GenerationParams:
    """Sampling settings of agent turns. `temperature` must match the trainer's (TRL scales logits by it)."""

    max_new_tokens: int = 256  # per agent turn
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int | None = None
    do_sample: bool = True

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.temperature == 0:
            self.do_sample = False

    @property
    def logprob_temperature(self) -> float:
        return self.temperature if self.temperature > 0 else 1.0


@dataclass
class GenerationRequest:
    input_ids: list[int]
    max_new_tokens: int
    tag: Any = None  # the caller's handle (the conversation); backends pass it through


@dataclass
class GenerationOutput:
    token_ids: list[int]  # generated tokens, the stop token included when there is one
    logprobs: list[float]  # sampling log-prob of each generated token
    stopped: bool  # ended on a stop token (False: cut by max_new_tokens)


class GenerationBackend(Protocol):
    """One batched agent turn. Optional attribute `collective` (default False): generate is a
    collective across processes, called by every process the same number of times."""

    def generate(self, requests: Sequence[GenerationRequest], params: GenerationParams) -> list[GenerationOutput]:
        ...


# -- Hugging Face ---------------------------------------------------------------------------
def stop_token_ids_for(tokenizer, model=None) -> list[int]:
    """The ids that end an agent turn: the model's eos ids, the tokenizer's eos, and <|im_end|> if known."""
    ids: list[int] = []
    config = getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None) if config is not None else None
    for value in (eos if isinstance(eos, (list, tuple)) else [eos]):
        if value is not None:
            ids.append(int(value))
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.append(im_end)
    return sorted(set(ids))


def _hf_generation_classes():
    from transformers import LogitsProcessor, StoppingCriteria

    class SampledLogprobRecorder(LogitsProcessor):
        """Sees the raw logits first (it is the first custom processor) and keeps the chosen token's log-prob.

        The token sampled at step t is only known at step t+1 (it is then the last input id), so
        the step's log-softmax is kept until then; `finish` gathers the last step.
        """

        def __init__(self, temperature: float):
            self.temperature = temperature
            self._pending = None
            self.steps: list = []

        def __call__(self, input_ids, scores):
            import torch

            if self._pending is not None:
                self.steps.append(self._pending.gather(1, input_ids[:, -1:]).squeeze(1))
            self._pending = torch.log_softmax(scores.float() / self.temperature, dim=-1)
            return scores

        def finish(self, last_tokens):
            import torch

            if self._pending is not None:
                self.steps.append(self._pending.gather(1, last_tokens[:, None]).squeeze(1))
                self._pending = None
            if not self.steps:
                return torch.zeros((last_tokens.shape[0], 0))
            return torch.stack(self.steps, dim=1).cpu()

    class PerRowMaxNewTokens(StoppingCriteria):
        """Stops each row at its own token budget (rows in one batch may have different budgets)."""

        def __init__(self, prompt_length: int, budgets: list[int], device):
            import torch

            self.prompt_length = prompt_length
            self.budgets = torch.tensor(budgets, device=device)

        def __call__(self, input_ids, scores, **kwargs):
            return (input_ids.shape[1] - self.prompt_length) >= self.budgets

    return SampledLogprobRecorder, PerRowMaxNewTokens


LogitsProcessorsFor = Callable[[Sequence[GenerationRequest], int], list]


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    first = sequences[0]
    n = min(len(s) for s in sequences)
    for other in sequences[1:]:
        k = 0
        limit = min(n, len(other))
        while k < limit and other[k] == first[k]:
            k += 1
        n = k
        if n == 0:
            break
    return n


class HFGenerationBackend:
    """Batched `model.generate` (KV cache) over token ids; records sampling logprobs.

    Shared-prefix cache (`prefix_caching`): the conversations of one domain start with the same
    system prompt and tool list (most of a short conversation's tokens). Its KV cache is computed
    once and shared by every row, and only the rest of each conversation is prefilled. Rows are
    laid out `[shared prefix][padding][own tokens]`: generate derives position ids from the
    attention mask, so each row sees exactly the positions of an unpadded forward pass. The cache
    is keyed by the prefix tokens and by the parameters' version counters, so it is recomputed as
    soon as the weights change (an optimizer step, a weight load). Without a long enough common
    prefix the batch is plain left-padded.

    `max_batch_size` splits large agent rounds into several generate calls (GPU memory).
    `extra_logits_processors(requests, prompt_length)` returns processors applied after the
    log-prob recorder (constrained decoding; tests use it to force scripted agent text).
    """

    def __init__(self, model, tokenizer, *, stop_token_ids: list[int] | None = None,
                 max_batch_size: int | None = None, extra_logits_processors: LogitsProcessorsFor | None = None,
                 prefix_caching: bool = True, min_prefix_tokens: int = 64, max_cached_prefixes: int = 4):
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; set tokenizer.pad_token before rolling out")
        self.model = model
        self.tokenizer = tokenizer
        self.stop_token_ids = stop_token_ids or stop_token_ids_for(tokenizer, model)
        self.max_batch_size = max_batch_size
        self.extra_logits_processors = extra_logits_processors
        self.pad_token_id = tokenizer.pad_token_id
        self.prefix_caching = prefix_caching
        self.min_prefix_tokens = min_prefix_tokens
        self.max_cached_prefixes = max_cached_prefixes
        self._prefix_caches: dict[tuple[int, ...], Any] = {}  # prefix tokens -> DynamicCache (batch 1)
        self._weights_version: int | None = None
        self.prefill_tokens = 0  # tokens run through the model outside the shared prefixes (for benchmarks)

    @property
    def device(self):
        return next(self.model.parameters()).device

    def clear_prefix_cache(self) -> None:
        self._prefix_caches.clear()

    def generate(self, requests: Sequence[GenerationRequest], params: GenerationParams) -> list[GenerationOutput]:
        if not requests:
            return []
        order = sorted(range(len(requests)), key=lambda i: len(requests[i].input_ids))  # less padding per chunk
        size = self.max_batch_size or len(requests)
        outputs: list[GenerationOutput | None] = [None] * len(requests)
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            for i, out in zip(chunk, self._generate_chunk([requests[i] for i in chunk], params)):
                outputs[i] = out
        return outputs  # type: ignore[return-value]

    # -- shared prefix ----------------------------------------------------------------------
    def _current_weights_version(self) -> int:
        # in-place updates (optimizer steps, load_state_dict) bump each tensor's version counter
        return sum(p._version for p in self.model.parameters()) + id(self.model)

    def _shared_prefix(self, requests: list[GenerationRequest]):
        """(prefix length, its batch-1 KV cache) or (0, None) when not worth it."""
        import torch

        if not self.prefix_caching or len(requests) < 2:
            return 0, None
        # every row needs at least one uncached token (generate starts from it)
        length = min(common_prefix_length([r.input_ids for r in requests]),
                     min(len(r.input_ids) for r in requests) - 1)
        if length < self.min_prefix_tokens:
            return 0, None
        version = self._current_weights_version()
        if version != self._weights_version:
            self._prefix_caches.clear()
            self._weights_version = version
        wanted = tuple(requests[0].input_ids[:length])
        # reuse the longest cached prefix of `wanted` if it covers most of it; else compute `wanted`
        best = max((k for k in self._prefix_caches if len(k) <= length and wanted[: len(k)] == k),
                   key=len, default=None)
        if best is not None and length - len(best) < self.min_prefix_tokens:
            self._prefix_caches[best] = self._prefix_caches.pop(best)  # most recently used last
            return len(best), self._prefix_caches[best]
        with torch.no_grad():
            out = self.model(input_ids=torch.tensor([wanted], device=self.device), use_cache=True)
        self.prefill_tokens += length
        self._prefix_caches[wanted] = out.past_key_values
        while len(self._prefix_caches) > self.max_cached_prefixes:
            self._prefix_caches.pop(next(iter(self._prefix_caches)))
        return length, out.past_key_values

    def _layout(self, requests: list[GenerationRequest], prefix_length: int):
        """input_ids and attention_mask: [prefix][pad][own tokens] per row (prefix_length 0: left padding)."""
        import torch

        rest_width = max(len(r.input_ids) - prefix_length for r in requests)
        width = prefix_length + rest_width
        input_ids = torch.full((len(requests), width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(requests), width), dtype=torch.long)
        for row, r in enumerate(requests):
            ids = torch.tensor(r.input_ids, dtype=torch.long)
            input_ids[row, :prefix_length] = ids[:prefix_length]
            attention_mask[row, :prefix_length] = 1
            rest = ids[prefix_length:]
            input_ids[row, width - len(rest):] = rest
            attention_mask[row, width - len(rest):] = 1
        self.prefill_tokens += len(requests) * rest_width
        return input_ids, attention_mask

    # -- one generate call ------------------------------------------------------------------
    def _model_generation_config(self):
        model = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        return getattr(model, "generation_config", None)

    def _generation_config(self, params: GenerationParams, max_new_tokens: int):
        from transformers import GenerationConfig

        return GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=params.do_sample,
            temperature=params.temperature if params.do_sample else None,
            top_p=params.top_p if params.do_sample else None,
            top_k=(params.top_k or 0) if params.do_sample else None,
            # explicit neutral values: unset ones would be filled from the model's generation_config
            # (a checkpoint's repetition_penalty or min_p would then skew the sampled distribution)
            repetition_penalty=1.0,
            # min_p has no neutral value that skips the warper: neutralise it only when the checkpoint sets it
            min_p=0.0 if params.do_sample and getattr(self._model_generation_config(), "min_p", None) else None,
            typical_p=1.0,
            epsilon_cutoff=0.0,
            eta_cutoff=0.0,
            no_repeat_ngram_size=0,
            pad_token_id=self.pad_token_id,
            eos_token_id=list(self.stop_token_ids),
            use_cache=True,
        )

    def _generate_chunk(self, requests: list[GenerationRequest], params: GenerationParams) -> list[GenerationOutput]:
        import copy

        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        recorder_cls, budget_cls = _hf_generation_classes()
        device = self.device
        prefix_length, prefix_cache = self._shared_prefix(requests)
        input_ids, attention_mask = self._layout(requests, prefix_length)
        width = input_ids.shape[1]
        extra: dict[str, Any] = {}
        if prefix_cache is not None:
            past = copy.deepcopy(prefix_cache)  # generate appends to it; the stored one stays intact
            past.batch_repeat_interleave(len(requests))
            extra["past_key_values"] = past
        budgets = [r.max_new_tokens for r in requests]
        recorder = recorder_cls(params.logprob_temperature)
        processors = [recorder]
        if self.extra_logits_processors is not None:
            processors += list(self.extra_logits_processors(requests, width))
        with torch.no_grad():
            sequences = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                generation_config=self._generation_config(params, max(budgets)),
                logits_processor=LogitsProcessorList(processors),
                stopping_criteria=StoppingCriteriaList([budget_cls(width, budgets, device)]),
                **extra,
            )
        generated = sequences[:, width:]
        logprobs = recorder.finish(generated[:, -1]) if generated.shape[1] else torch.zeros((len(requests), 0))
        generated = generated.cpu().tolist()
        logprobs = logprobs.tolist()
        stops = set(self.stop_token_ids)
        results = []
        for row, r in enumerate(requests):
            tokens = generated[row][: r.max_new_tokens]
            end = next((k for k, t in enumerate(tokens) if t in stops), None)
            if end is not None:
                tokens = tokens[: end + 1]
            results.append(GenerationOutput(tokens, logprobs[row][: len(tokens)], stopped=end is not None))
        return results


# -- vLLM (TRL) -----------------------------------------------------------------------------
def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


@dataclass
class VLLMTrainerBackend:
    """Agent turns through TRL's vLLM engine (`trainer.vllm_generation`, server or colocate mode).

    Not exercised with a real vLLM by the test suite (vllm is not installed there). TRL's generate
    takes its sampling settings from the trainer (temperature, top_p, top_k) and its length limit
    from `max_completion_length`, which is set per call to the turn's budget.

    Server mode with several processes (and colocate mode with tensor parallelism) is a collective:
    TRL gathers every process's prompts, generates them in one call and hands each process back
    the slice `[rank * n, (rank + 1) * n)`, with `n` its own prompt count and one length limit for
    all. So this backend is `collective` there: the engine calls it once per round on every
    process, and each call first agrees with the other processes on the round's request count and
    token budget (the largest of each), pads its own requests to that count with one-token filler
    prompts, and drops the fillers' outputs.
    """

    trainer: Any
    stop_token_ids: list[int] = field(default_factory=list)

    @property
    def collective(self) -> bool:
        from .process_sync import world_size

        vgen = self.trainer.vllm_generation
        mode = getattr(vgen, "mode", "server")
        shared = mode == "server" or (mode == "colocate" and getattr(vgen, "tensor_parallel_size", 1) > 1)
        return shared and world_size() > 1

    def generate(self, requests: Sequence[GenerationRequest], params: GenerationParams) -> list[GenerationOutput]:
        from .process_sync import gather_objects

        vgen = self.trainer.vllm_generation
        prompts = [list(r.input_ids) for r in requests]
        budget = max((r.max_new_tokens for r in requests), default=1)
        if self.collective:
            shapes = gather_objects((len(prompts), budget))
            budget = max(b for _, b in shapes)
            filler = [self.stop_token_ids[0] if self.stop_token_ids else 0]
            prompts += [filler] * (max(n for n, _ in shapes) - len(prompts))
        elif not requests:
            return []
        saved = vgen.max_completion_length
        vgen.max_completion_length = budget
        try:
            _, completion_ids, logprobs, _ = vgen.generate(prompts=prompts, images=None, num_generations=1)
        finally:
            vgen.max_completion_length = saved
        stops = set(self.stop_token_ids)
        results = []
        for r, ids, lps in zip(requests, completion_ids, logprobs):  # the fillers' outputs are dropped here
            ids = list(ids)[: r.max_new_tokens]
            flat = [float("nan") if lp[0] is None else float(lp[0]) for lp in lps][: len(ids)]
            results.append(GenerationOutput(ids, flat, stopped=bool(ids) and ids[-1] in stops))
        return results
