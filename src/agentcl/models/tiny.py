"""The offline tiny agent: a byte-level BPE tokenizer trained on domain text and a small Qwen3 model.

Nothing comes from the Hugging Face hub. The tokenizer speaks the Qwen3 chat format (see
chat_template.py) with the same special tokens, so the rollout engine, the tool-call parser and the
trainer treat it exactly like a real Qwen3 checkpoint. The model is randomly initialised from a
seed: it is for tests, the demo and CPU benchmarks, not for solving tasks.

`ensure_tiny_agent(directory)` builds once and saves tokenizer + model with save_pretrained, so
everything else loads it with `from_pretrained(directory)` like any checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from filelock import FileLock

from .chat_template import (
    CHAT_TEMPLATE,
    END_OF_TEXT,
    IM_END,
    IM_START,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESPONSE_END,
    TOOL_RESPONSE_START,
)

log = logging.getLogger(__name__)

SPECIAL_TOKENS = [END_OF_TEXT, IM_START, IM_END]  # control tokens, dropped by skip_special_tokens
TAG_TOKENS = [TOOL_CALL_START, TOOL_CALL_END, TOOL_RESPONSE_START, TOOL_RESPONSE_END]  # single tokens, kept in text
DEFAULT_VOCAB_SIZE = 4096
MAX_CORPUS_CHARS = 1_500_000  # keeps tokenizer training around a second
TINY_AGENT_FORMAT_VERSION = 1  # bump when the build changes, so cached agents are rebuilt
STAMP_FILE = "agentcl_tiny_agent.json"  # written last: its fingerprint says which build the folder holds

# Generic customer-service phrasing, so text outside the domain files still gets sensible merges.
_GENERIC_TEXT = """\
Hello, how can I help you today? Thank you for contacting customer support.
I have updated your reservation. Your order has been cancelled. The task was created.
Could you please confirm your user id? Let me look that up for you. Is there anything else?
I'm sorry, but I cannot do that according to our policy. I will transfer you to a human agent.
Yes, please go ahead. No, that's all, thanks! Goodbye. ###STOP### ###TRANSFER### ###OUT-OF-SCOPE###
Error: invalid arguments. Error: not found. {"status": "ok"} [] {} true false null 0123456789
"""


# -- corpus -------------------------------------------------------------------------------------
def builtin_domain_corpus() -> list[str]:
    """Policies, task files and tool schemas of every built-in domain whose data is present.

    Read straight from the packaged files (databases are skipped: they are large and mostly ids).
    A domain that fails to import is skipped with a warning, so a half-written domain never breaks
    the tiny model.
    """
    from ..environment import Database
    from ..registry import DOMAINS

    texts: list[str] = []
    for name in DOMAINS.names():
        try:
            spec = DOMAINS.get(name)
        except Exception as exc:  # noqa: BLE001 - a broken domain must not break the tokenizer
            log.warning("tiny tokenizer corpus: skipping domain %s (%s)", name, exc)
            continue
        data_dir = spec.default_data_dir
        for fname in (*spec.policy_files, *spec.task_files):
            path = data_dir / fname
            if path.is_file():
                texts.append(path.read_text(encoding="utf-8"))
        for toolkit_cls in (spec.agent_toolkit, spec.user_toolkit):
            if toolkit_cls is None:
                continue
            try:
                schemas = toolkit_cls(Database({})).schemas()
            except Exception as exc:  # noqa: BLE001
                log.warning("tiny tokenizer corpus: no tool schemas for %s (%s)", name, exc)
                continue
            texts.extend(json.dumps(s, ensure_ascii=False) for s in schemas)
    return texts


def _sample_chat_renderings() -> list[str]:
    """A few rendered conversations, so the template scaffolding gets merged into few tokens."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)
    template = env.from_string(CHAT_TEMPLATE)
    tools = [{"type": "function", "function": {"name": "get_user_details", "description": "Look up a user.",
                                                "parameters": {"type": "object", "properties": {
                                                    "user_id": {"type": "string"}}, "required": ["user_id"]}}}]
    messages = [
        {"role": "system", "content": "You are a helpful customer service agent."},
        {"role": "user", "content": "Hi, I need help with my account."},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_user_details", "arguments": {"user_id": "user_1"}}}]},
        {"role": "tool", "content": '{"user_id": "user_1", "name": "Ada"}'},
        {"role": "assistant", "content": "I found your account, Ada. What would you like to change?"},
    ]
    return [template.render(messages=messages, tools=tools, add_generation_prompt=True)] * 20


def default_corpus() -> list[str]:
    return [_GENERIC_TEXT] * 5 + _sample_chat_renderings() + builtin_domain_corpus()


def _cap(texts: Iterable[str], limit: int = MAX_CORPUS_CHARS) -> list[str]:
    out, total = [], 0
    for t in texts:
        if total >= limit:
            break
        out.append(t[: limit - total])
        total += len(out[-1])
    return out


# -- tokenizer ----------------------------------------------------------------------------------
def build_tiny_tokenizer(corpus_texts: Iterable[str] | None = None, vocab_size: int = DEFAULT_VOCAB_SIZE):
    """Train a byte-level BPE on `corpus_texts` (default: built-in domain text) with the Qwen3 chat format.

    Returns a `PreTrainedTokenizerFast` with eos `<|im_end|>`, pad `<|endoftext|>`, the tool tags
    as single tokens, and the chat template installed. Deterministic for a given corpus.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 300:
        raise ValueError(f"vocab_size must be at least 300 (256 bytes + special tokens), got {vocab_size}")
    texts = _cap(default_corpus() if corpus_texts is None else list(corpus_texts))
    if not any(t.strip() for t in texts):
        raise ValueError("the tokenizer corpus is empty")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=END_OF_TEXT,
        additional_special_tokens=[IM_START],
        clean_up_tokenization_spaces=False,
        model_max_length=32768,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    return tokenizer


# -- model --------------------------------------------------------------------------------------
def build_tiny_model(
    tokenizer,
    hidden_size: int = 64,
    num_hidden_layers: int = 2,
    num_attention_heads: int = 4,
    num_key_value_heads: int = 2,
    intermediate_size: int | None = None,
    max_position_embeddings: int = 8192,
    seed: int = 0,
):
    """A randomly initialised `Qwen3ForCausalLM` sized to `tokenizer` (deterministic for a seed)."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    if hidden_size % num_attention_heads:
        raise ValueError(f"hidden_size {hidden_size} is not divisible by num_attention_heads {num_attention_heads}")
    eos_ids = [tokenizer.convert_tokens_to_ids(IM_END), tokenizer.convert_tokens_to_ids(END_OF_TEXT)]
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 2 * hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_key_value_heads,
        head_dim=hidden_size // num_attention_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=eos_ids,
        pad_token_id=tokenizer.pad_token_id,
    )
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        model = Qwen3ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=eos_ids, pad_token_id=tokenizer.pad_token_id, do_sample=True, temperature=1.0, top_p=1.0
    )
    model.eval()
    return model


# -- cached build -------------------------------------------------------------------------------
def tiny_agent_fingerprint(corpus_texts: list[str], **config) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"version": TINY_AGENT_FORMAT_VERSION, **config}, sort_keys=True).encode())
    for t in corpus_texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    return h.hexdigest()[:16]


def save_tiny_agent(
    path: str | Path,
    *,
    corpus_texts: Iterable[str] | None = None,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    seed: int = 0,
    **model_kwargs,
) -> Path:
    """Build the tiny tokenizer and model and save both to `path` (loadable with from_pretrained)."""
    path = Path(path)
    tokenizer = build_tiny_tokenizer(corpus_texts, vocab_size=vocab_size)
    model = build_tiny_model(tokenizer, seed=seed, **model_kwargs)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return path


def default_tiny_agent_dir() -> Path:
    root = os.environ.get("AGENTCL_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "agentcl"
    return Path(root) / "tiny-agent"


def ensure_tiny_agent(
    directory: str | Path | None = None,
    *,
    corpus_texts: Iterable[str] | None = None,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    seed: int = 0,
    **model_kwargs,
) -> Path:
    """Build the tiny agent into `directory` unless an identical build is already there; return the path.

    The build is keyed by a fingerprint of its settings and corpus (a domain whose text changed gets
    a fresh tokenizer). Writes go to a temporary sibling first, so a reader never sees a
    half-written directory, and one lock per directory makes concurrent callers build it once.
    """
    directory = Path(directory) if directory is not None else default_tiny_agent_dir()
    texts = _cap(default_corpus() if corpus_texts is None else list(corpus_texts))
    fingerprint = tiny_agent_fingerprint(texts, vocab_size=vocab_size, seed=seed, **model_kwargs)
    if _built_with(directory, fingerprint):
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Every rank of a multi-process run lands here on a fresh machine: one builds, the others wait
    # and then find its build (without the lock, a late rank would replace the folder under an
    # early rank that is already loading from it).
    with FileLock(str(directory.parent / f".{directory.name}.lock")):
        if _built_with(directory, fingerprint):
            return directory
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        try:
            save_tiny_agent(tmp, corpus_texts=texts, vocab_size=vocab_size, seed=seed, **model_kwargs)
            (tmp / STAMP_FILE).write_text(json.dumps(
                {"fingerprint": fingerprint, "vocab_size": vocab_size, "seed": seed, **model_kwargs}, indent=2))
            if directory.exists():
                shutil.rmtree(directory)
            tmp.replace(directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return directory


def _built_with(directory: Path, fingerprint: str) -> bool:
    stamp = directory / STAMP_FILE
    try:
        return json.loads(stamp.read_text()).get("fingerprint") == fingerprint
    except (OSError, ValueError):
        return False


def load_tiny_agent(directory: str | Path | None = None, **build_kwargs):
    """(model, tokenizer) of the tiny agent, building it first if needed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = ensure_tiny_agent(directory, **build_kwargs)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    model.eval()
    return model, tokenizer
