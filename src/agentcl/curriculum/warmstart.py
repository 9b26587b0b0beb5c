"""Warm start: a short supervised pass on gold conversations before reinforcement learning.

A randomly initialised (or weak) policy almost never earns a reward, so GRPO has nothing to
compare. A warm start teaches it the format and the shape of a good conversation first:

1. `gold_conversations`: an *oracle agent* plays each task against the user simulator through
   the real rollout engine (real tools on the task's own database, real user turns). The oracle
   follows the task's gold actions: it asks the user for an id it needs but has not been told
   (when the scenario gives the user that fact), makes the gold tool calls one per turn, asks the
   user to run their own gold tool calls, and ends with a message carrying the task's
   `communicate_info` (or a transfer notice). Each conversation is scored by the task evaluator;
   only those that earn the full reward are kept.
2. `sft_dataset`: the kept conversations as a `datasets.Dataset` in TRL's conversational
   prompt-completion form (messages + tool schemas). The chat template renders them token for
   token as the rollout engine recorded them; its `{% generation %}` markers put the loss on the
   agent's tokens only (assistant-only loss within the completion), never on system, user or tool
   tokens.
3. `supervised_warm_start`: TRL's `SFTTrainer` on that dataset (AdamW, cosine schedule, a few
   hundred steps).

`warm_start(...)` does all three and saves the model and tokenizer with `save_pretrained`, so the
result is an ordinary checkpoint (`--model DIR`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..data_model import Message, Task
from ..rollout.backends import GenerationOutput, GenerationParams, GenerationRequest, stop_token_ids_for
from ..rollout.chat_format import SystemPromptFn, default_system_prompt, to_chat_dicts, visible_to_agent
from ..rollout.engine import Conversation, RolloutEngine, RolloutItem, RolloutLimits
from ..users.base import UserSimulator
from .evaluate import _local_reward_hook, reward_info_of

if TYPE_CHECKING:
    from ..domains.base import DomainData

log = logging.getLogger(__name__)

TRANSFER_TOOL = "transfer_to_human_agents"
WARMSTART_JSON = "warmstart.json"  # written last: its presence marks a finished warm start

# Argument names the oracle asks the user for, worded the way a customer is asked for them.
ASK_LABELS = {
    "user_id": "user id",
    "customer_id": "customer id",
    "reservation_id": "reservation number",
    "order_id": "order id",
    "task_id": "task id",
    "email": "email address",
    "zip": "zip code",
    "zip_code": "zip code",
    "phone_number": "phone number",
    "title": "title",
    "first_name": "full name",
    "last_name": "full name",
}


# --- the oracle agent -------------------------------------------------------------------------

def tool_call_text(name: str, arguments: dict[str, Any]) -> str:
    """An agent tool call in the Qwen3 / Hermes format the chat template renders and the parser reads."""
    return '<tool_call>\n{"name": "%s", "arguments": %s}\n</tool_call>' % (name, json.dumps(arguments, ensure_ascii=False))


def _scenario_text(task: Task) -> str:
    return json.dumps(task.user_scenario.model_dump(mode="json"), ensure_ascii=False)


def _seen_text(messages: Sequence[Message]) -> str:
    """What has been said or returned in the conversation (user and tool messages)."""
    return "\n".join(m.content or "" for m in messages if m.role in ("user", "tool"))


def final_message(task: Task) -> str:
    """The oracle's last turn: the facts the task wants said, as a closing statement (no question)."""
    actions = [a for a in task.gold_actions if a.requestor == "assistant"]
    if actions and actions[-1].name == TRANSFER_TOOL:
        return "I have transferred you to a human agent who will take it from here."
    info = (task.evaluation_criteria.communicate_info or []) if task.evaluation_criteria else []
    text = "All done. "
    if info:
        text += "Here is what you asked for: " + "; ".join(str(i) for i in info) + ". "
    return text + "Thank you for contacting us."


class OracleAgent:
    """The gold agent's next turn in a conversation (stateless apart from the questions it asked)."""

    def __init__(self) -> None:
        self._asked: dict[str, set[str]] = {}

    def __call__(self, conversation: Conversation) -> str:
        task = conversation.task
        new = conversation.messages[conversation.history_len:]
        made = {"assistant": 0, "user": 0}
        for m in new:
            if m.tool_calls:
                made["user" if m.role == "user" else "assistant"] += len(m.tool_calls)
        consumed = dict(made)
        for action in task.gold_actions:
            if consumed[action.requestor] > 0:
                consumed[action.requestor] -= 1
                continue
            if action.requestor == "user":
                return (f"Please use {action.name.replace('_', ' ')} on your side "
                        f"({action.name}) and tell me what you see.")
            question = self._question(conversation, action.arguments)
            return question or tool_call_text(action.name, action.arguments)
        return final_message(task)

    def _question(self, conversation: Conversation, arguments: dict[str, Any]) -> str | None:
        asked = self._asked.setdefault(conversation.conversation_id, set())
        seen = _seen_text(conversation.messages)
        scenario = _scenario_text(conversation.task)
        for key, value in arguments.items():
            label = ASK_LABELS.get(key)
            if label is None or label in asked or not isinstance(value, str) or not value:
                continue
            if value not in seen and value in scenario:
                asked.add(label)
                return f"Could you please provide your {label}?"
        return None


class ScriptedTextBackend:
    """A generation backend that writes `script(conversation)` as the agent's turn, without a model.

    The text is tokenized the way the tokenizer does it and closed with the end-of-turn token, so
    the engine records exactly the tokens a model would have to produce for that text.
    """

    def __init__(self, tokenizer, script: Callable[[Conversation], str], stop_token_ids: list[int] | None = None):
        self.tokenizer = tokenizer
        self.script = script
        self.stop_token_ids = stop_token_ids or stop_token_ids_for(tokenizer)
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        self.turn_end_id = end if isinstance(end, int) and end != tokenizer.unk_token_id else tokenizer.eos_token_id

    def generate(self, requests: Sequence[GenerationRequest], params: GenerationParams) -> list[GenerationOutput]:
        outputs = []
        for request in requests:
            ids = self.tokenizer.encode(self.script(request.tag), add_special_tokens=False) + [self.turn_end_id]
            ids = ids[: request.max_new_tokens]
            outputs.append(GenerationOutput(ids, [0.0] * len(ids), stopped=ids[-1] == self.turn_end_id))
        return outputs


def gold_conversations(tokenizer, tasks: Sequence[tuple[Task, "DomainData"]], user_simulator: UserSimulator, *,
                       limits: RolloutLimits | None = None, max_new_tokens: int = 512,
                       system_prompt: SystemPromptFn = default_system_prompt,
                       repeats: int = 1) -> tuple[list[Conversation], list[Conversation]]:
    """(successful, failed) oracle conversations, `repeats` per task, scored by the task evaluator."""
    oracle = OracleAgent()
    backend = ScriptedTextBackend(tokenizer, oracle)
    engine = RolloutEngine(tokenizer, user_simulator, backend=backend,
                           generation=GenerationParams(max_new_tokens=max_new_tokens, temperature=0.0),
                           limits=limits or RolloutLimits(), system_prompt=system_prompt,
                           on_conversation_end=_local_reward_hook)
    try:
        conversations = engine.run([RolloutItem(task, data, trial) for task, data in tasks for trial in range(repeats)])
    finally:
        engine.close()
    good, bad = [], []
    for conversation in conversations:
        info = reward_info_of(conversation.end_result)
        (good if info is not None and info.reward >= 1.0 - 1e-6 else bad).append(conversation)
    return good, bad


# --- supervised examples and training (TRL's SFTTrainer) ---------------------------------------

def _chat_dicts(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Chat-template dicts with tool-call arguments as the JSON text the agent wrote: one column
    type for every call (Arrow would otherwise merge all argument names into one struct)."""
    out = to_chat_dicts(list(messages))
    for message in out:
        for call in message.get("tool_calls") or []:
            call["function"]["arguments"] = json.dumps(call["function"]["arguments"], ensure_ascii=False)
    return out


def sft_dataset(conversations: Sequence[Conversation]):
    """A `datasets.Dataset` of gold conversations in TRL's conversational prompt-completion form.

    prompt: the system prompt and what the agent saw before its first turn; completion: the rest
    of what the agent saw and wrote, through its last turn; tools: the agent's tool schemas (JSON).
    Rendered with the chat template, this is token for token what the rollout engine recorded
    (prompt_ids + completion_ids), and the template's assistant mask is its env_mask.
    """
    from datasets import Dataset

    rows = []
    for c in conversations:
        seen = len(visible_to_agent(c.messages[:c.history_len]))
        visible = [Message(role="system", content=c.system_prompt)] + c.agent_view()
        turns = [i for i, m in enumerate(visible) if m.role == "assistant" and i > seen]
        if not turns:
            continue
        rows.append({"prompt": _chat_dicts(visible[:turns[0]]),
                     "completion": _chat_dicts(visible[turns[0]:turns[-1] + 1]),
                     "tools": json.dumps(c.tools, ensure_ascii=False)})
    return Dataset.from_list(rows)


@dataclass
class WarmStartSettings:
    steps: int = 200
    batch_size: int = 4
    learning_rate: float = 1e-3
    warmup_steps: int = 10
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {self.steps}, {self.batch_size}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")

    def sft_config(self, output_dir: str | Path, *, progress: bool = True):
        """The `SFTConfig`: loss on the agent's tokens only (assistant masks within the completion),
        no truncation, cosine schedule after a linear warmup, the loss logged every step, nothing saved."""
        from trl import SFTConfig

        return SFTConfig(
            output_dir=str(output_dir), max_steps=self.steps, per_device_train_batch_size=self.batch_size,
            learning_rate=self.learning_rate, warmup_steps=self.warmup_steps, weight_decay=self.weight_decay,
            max_grad_norm=self.max_grad_norm, seed=self.seed, data_seed=self.seed, lr_scheduler_type="cosine",
            assistant_only_loss=True, completion_only_loss=True, max_length=None, gradient_checkpointing=False,
            bf16=False, fp16=False, logging_steps=1, save_strategy="no", report_to="none",
            disable_tqdm=not progress, dataloader_num_workers=0,
        )


def supervised_warm_start(model, tokenizer, dataset, settings: WarmStartSettings | None = None,
                          *, progress: bool = True) -> dict[str, Any]:
    """Train `model` in place on `dataset` (see `sft_dataset`) with TRL's SFTTrainer; returns the
    loss curve (every step)."""
    import tempfile

    from transformers import PrinterCallback
    from trl import SFTTrainer

    settings = settings or WarmStartSettings()
    if dataset is None or len(dataset) == 0:
        raise ValueError("no supervised examples: no gold conversation succeeded")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agentcl-warmstart-") as scratch:
        trainer = SFTTrainer(model=model, args=settings.sft_config(scratch, progress=progress),
                             train_dataset=dataset, processing_class=tokenizer)
        if not progress:  # without a progress bar the Trainer prints every step's log line instead
            trainer.remove_callback(PrinterCallback)
        trainer.train()
    losses = [float(h["loss"]) for h in trainer.state.log_history if "loss" in h]
    model.eval()
    return {"steps": trainer.state.global_step, "loss_first": losses[0], "loss_last": losses[-1],
            "loss_last10_mean": sum(losses[-10:]) / len(losses[-10:]), "losses": losses,
            "train_s": time.perf_counter() - started}


@dataclass
class WarmStartReport:
    model_dir: str
    tasks: int
    gold_conversations: int
    gold_failed: int
    examples: int
    agent_tokens: int
    training: dict[str, Any] = field(default_factory=dict)
    failed_task_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def warm_start(base_model: str | Path, out_dir: str | Path, conversations: Sequence[Conversation], *,
               settings: WarmStartSettings | None = None, failed: Sequence[Conversation] = (),
               progress: bool = True) -> WarmStartReport:
    """Supervised pass of `base_model` on successful gold `conversations` (see `gold_conversations`,
    tokenized with the same tokenizer) -> a checkpoint in `out_dir`, with warmstart.json beside it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out_dir = Path(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = sft_dataset(conversations)
    model = AutoModelForCausalLM.from_pretrained(str(base_model))
    training = supervised_warm_start(model, tokenizer, dataset, settings, progress=progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    report = WarmStartReport(
        model_dir=str(out_dir), tasks=len({(c.domain_name, c.task_id) for c in [*conversations, *failed]}),
        gold_conversations=len(conversations), gold_failed=len(failed),
        examples=len(dataset), agent_tokens=sum(sum(c.env_mask) for c in conversations),
        training=dict(training), failed_task_ids=sorted({c.task_id for c in failed}),
    )
    (out_dir / WARMSTART_JSON).write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return report


def read_warm_start(model_dir: str | Path) -> dict[str, Any] | None:
    """The warmstart.json of a finished warm start (None when there is none)."""
    path = Path(model_dir) / WARMSTART_JSON
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
