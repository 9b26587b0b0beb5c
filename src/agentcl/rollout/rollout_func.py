"""TRL 1.16 GRPOTrainer `rollout_func`: whole conversations as completions.

The contract (trl/trainer/grpo_trainer.py, `_generate` and `_generate_and_score_completions`):
- TRL calls `rollout_func(prompts, trainer)` with `prompts = [row["prompt"] for row in inputs]`:
  this process's slice of the generation batch. The RepeatSampler has already repeated every
  dataset row `num_generations` times in a row, so `prompts` holds each task G times and the
  function returns exactly ONE completion per entry, in order (rewards are grouped by consecutive
  runs of G; a group may straddle processes, TRL gathers rewards before normalising).
- Required keys: `prompt_ids`, `completion_ids`, `logprobs` (lists of per-token lists; logprobs
  has one float per completion token). Optional `env_mask` (1 = model token, 0 = external) becomes
  TRL's tool_mask and multiplies the loss mask. Every other key is forwarded to the reward
  functions: a list is indexed per completion (`reward_func(..., key=[v0, v1, ...])`), a scalar is
  passed as is. Dataset columns other than `prompt` reach reward functions too.
- TRL treats a completion whose last token is not an eos/pad token as truncated (and masks it
  when `mask_truncated_completions`), so a completion ends on the agent's last token.

Prompts name the task: `task_prompt(domain, task_id)` writes a JSON string
`{"domain": ..., "task_id": ...}`; `task_dataset(...)` builds the training dataset from tasks.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..errors import DataError
from ..users.base import UserSimulator
from .backends import GenerationBackend, GenerationParams, HFGenerationBackend, VLLMTrainerBackend, stop_token_ids_for
from .chat_format import SystemPromptFn, default_system_prompt
from .engine import Conversation, EndHook, RolloutEngine, RolloutItem, RolloutLimits
from .tool_parser import ToolCallParser

if TYPE_CHECKING:
    from ..data_model import Task
    from ..domains.base import DomainData

log = logging.getLogger(__name__)

RolloutFunc = Callable[[list, Any], dict]


# -- prompts that name a task -----------------------------------------------------------------
def task_prompt(domain: str, task_id: str) -> str:
    return json.dumps({"domain": domain, "task_id": task_id}, sort_keys=True)


def parse_task_prompt(prompt: Any) -> tuple[str, str]:
    """(domain, task_id) from a dataset prompt: the JSON string, a dict, or chat messages whose last content is it."""
    value = prompt
    if isinstance(value, list) and value and isinstance(value[-1], dict):
        value = value[-1].get("content")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DataError(f"rollout prompt is not a task reference (expected {task_prompt('<domain>', '<id>')}): "
                            f"{value[:80]!r}") from None
    if not isinstance(value, dict) or not isinstance(value.get("domain"), str) or "task_id" not in value:
        raise DataError(f"rollout prompt must name a domain and a task_id, got {str(prompt)[:80]!r}")
    return value["domain"], str(value["task_id"])


def task_dataset(tasks: Sequence[tuple[str, "Task"]] | Sequence[tuple[str, str]]):
    """A `datasets.Dataset` with `prompt` (the task reference), `domain` and `task_id` columns."""
    from datasets import Dataset

    rows = []
    for domain, task in tasks:
        task_id = task if isinstance(task, str) else task.id
        rows.append({"prompt": task_prompt(domain, task_id), "domain": domain, "task_id": task_id})
    return Dataset.from_list(rows)


# -- the rollout function ---------------------------------------------------------------------
class RolloutFunction:
    """Callable TRL rollout_func; keeps one RolloutEngine (and its event loop) across steps.

    `domains` maps domain names to loaded DomainData (or is a function name -> DomainData;
    default: the registry's packaged data). `generation.temperature` defaults to the trainer's, which
    TRL also uses to recompute log-probs; `backend` is "auto" (vLLM when the trainer uses it, else
    HF generate on the trainer's current model), "hf" or "vllm". `extra_logits_processors` goes to
    the HF backend (a `ScriptedAgent` makes a random model follow a script in demos and tests).
    """

    def __init__(
        self,
        *,
        user_simulator: UserSimulator,
        domains: Mapping[str, "DomainData"] | Callable[[str], "DomainData"] | None = None,
        generation: GenerationParams | None = None,
        limits: RolloutLimits | None = None,
        on_conversation_end: EndHook | None = None,
        tool_parser: str | ToolCallParser = "qwen3",
        system_prompt: SystemPromptFn = default_system_prompt,
        max_batch_size: int | None = None,
        backend: str = "auto",
        overlap_user_turns: bool = True,
        progress: bool = False,
        extra_logits_processors=None,
    ):
        if backend not in ("auto", "hf", "vllm"):
            raise ValueError(f"backend must be 'auto', 'hf' or 'vllm', got {backend!r}")
        self.user_simulator = user_simulator
        self._domains = domains
        self._domain_cache: dict[str, "DomainData"] = {}
        self.generation = generation
        self.limits = limits or RolloutLimits()
        self.on_conversation_end = on_conversation_end
        self.tool_parser = tool_parser
        self.system_prompt = system_prompt
        self.max_batch_size = max_batch_size
        self.backend_choice = backend
        self.overlap_user_turns = overlap_user_turns
        self.progress = progress
        self.extra_logits_processors = extra_logits_processors  # HF backend only (e.g. a ScriptedAgent)
        self.engine: RolloutEngine | None = None
        self.last_conversations: list[Conversation] = []

    def domain(self, name: str) -> "DomainData":
        if name not in self._domain_cache:
            if self._domains is None:
                from ..registry import load_domain

                self._domain_cache[name] = load_domain(name)
            elif callable(self._domains) and not isinstance(self._domains, Mapping):
                self._domain_cache[name] = self._domains(name)
            else:
                if name not in self._domains:
                    raise DataError(f"rollout prompt names domain {name!r}, but only "
                                    f"{', '.join(sorted(self._domains))} were given")
                self._domain_cache[name] = self._domains[name]
        return self._domain_cache[name]

    def items_for(self, prompts: Sequence[Any]) -> list[RolloutItem]:
        """One item per prompt; repeated prompts (the G copies of a task) get trial 0, 1, 2, ..."""
        seen: dict[tuple[str, str], int] = {}
        items = []
        for prompt in prompts:
            key = parse_task_prompt(prompt)
            trial = seen.get(key, 0)
            seen[key] = trial + 1
            domain = self.domain(key[0])
            items.append(RolloutItem(domain.task(key[1]), domain, trial))
        return items

    def _generation_for(self, trainer) -> GenerationParams:
        temperature = float(getattr(trainer, "temperature", getattr(trainer.args, "temperature", 1.0)))
        if self.generation is None:
            args = trainer.args
            self.generation = GenerationParams(
                max_new_tokens=min(256, int(getattr(args, "max_completion_length", 256) or 256)),
                temperature=temperature,
                top_p=float(getattr(args, "top_p", 1.0) or 1.0),
                top_k=getattr(args, "top_k", None) or None,
            )
        elif abs(self.generation.logprob_temperature - temperature) > 1e-6:
            log.warning("rollout temperature %s differs from the trainer's %s: TRL recomputes log-probs at %s, "
                        "so the sampling log-probs will not match", self.generation.temperature, temperature,
                        temperature)
        return self.generation

    def _engine_for(self, trainer) -> RolloutEngine:
        if self.engine is None:
            tokenizer = getattr(trainer.processing_class, "tokenizer", trainer.processing_class)
            stop_ids = stop_token_ids_for(tokenizer, trainer.accelerator.unwrap_model(trainer.model))
            backend: GenerationBackend = _PlaceholderBackend(stop_ids)
            self.engine = RolloutEngine(
                tokenizer, self.user_simulator, backend=backend, generation=self._generation_for(trainer),
                limits=self.limits, tool_parser=self.tool_parser, system_prompt=self.system_prompt,
                on_conversation_end=self.on_conversation_end, overlap_user_turns=self.overlap_user_turns,
                progress=self.progress,
            )
        else:
            self.engine.generation = self._generation_for(trainer)
        return self.engine

    def __call__(self, prompts: list, trainer) -> dict[str, list]:
        engine = self._engine_for(trainer)
        items = self.items_for(prompts)
        use_vllm = self.backend_choice == "vllm" or (self.backend_choice == "auto" and getattr(trainer, "use_vllm", False))
        if use_vllm:
            backend = VLLMTrainerBackend(trainer, engine.backend.stop_token_ids)
            conversations = engine.run(items, backend=backend)
        else:
            with _unwrapped_for_generation(trainer) as model:
                backend = HFGenerationBackend(model, engine.tokenizer, stop_token_ids=engine.backend.stop_token_ids,
                                              max_batch_size=self.max_batch_size,
                                              extra_logits_processors=self.extra_logits_processors)
                conversations = engine.run(items, backend=backend)
        self.last_conversations = conversations
        return rollout_outputs(conversations)

    def close(self, close_user_simulator: bool = False) -> None:
        if self.engine is not None:
            self.engine.close(close_user_simulator=close_user_simulator)


class _PlaceholderBackend:
    """The engine's default backend before a trainer step supplies the real one (never generates)."""

    def __init__(self, stop_token_ids: list[int]):
        self.stop_token_ids = stop_token_ids

    def generate(self, requests, params):  # pragma: no cover - run() always passes a backend
        raise RuntimeError("rollout_func passes the trainer's model to each run; this backend never generates")


def _unwrapped_for_generation(trainer):
    """The trainer's current model, unwrapped (DDP/DeepSpeed/FSDP), no grad, as TRL's own HF path does."""
    import contextlib

    import torch
    from trl.models import unwrap_model_for_generation

    stack = contextlib.ExitStack()
    model = stack.enter_context(unwrap_model_for_generation(
        trainer.model_wrapped, trainer.accelerator,
        gather_deepspeed3_params=getattr(trainer.args, "ds3_gather_for_generation", True),
        gradient_checkpointing_kwargs=getattr(trainer.args, "gradient_checkpointing_kwargs", None),
    ))
    stack.enter_context(torch.no_grad())
    dist = getattr(trainer, "_dist", None)
    summon = getattr(dist, "summon_full_params", None)
    stack.enter_context(summon(trainer.model_wrapped, recurse=False) if summon else nullcontext())

    @contextlib.contextmanager
    def scope():
        with stack:
            yield model

    return scope()


def rollout_outputs(conversations: Sequence[Conversation]) -> dict[str, list]:
    """The dict TRL expects, plus per-conversation fields for the reward functions."""
    return {
        "prompt_ids": [list(c.prompt_ids) for c in conversations],
        "completion_ids": [list(c.completion_ids) for c in conversations],
        "logprobs": [list(c.logprobs) for c in conversations],
        "env_mask": [list(c.env_mask) for c in conversations],
        "task_id": [c.task_id for c in conversations],
        "domain": [c.domain_name for c in conversations],
        "trial": [c.trial for c in conversations],
        "termination": [c.termination_reason.value if c.termination_reason else None for c in conversations],
        "num_turns": [c.num_turns for c in conversations],
        "num_tool_calls": [c.num_tool_calls for c in conversations],
        "num_tool_errors": [c.num_errors for c in conversations],
        "conversation": list(conversations),
        "reward_pending": [c.reward for c in conversations],  # read by the reward terms (rewards/terms.py)
    }


def make_rollout_func(**kwargs) -> RolloutFunction:
    """Build the rollout_func for `GRPOTrainer(rollout_func=...)`; see RolloutFunction for the options."""
    return RolloutFunction(**kwargs)
