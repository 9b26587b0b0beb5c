"""The offline tiny agent: tokenizer (BPE on domain text, Qwen3 chat format) and Qwen3 model."""

from __future__ import annotations

import json

import pytest
import torch
from rollout_fixtures import tiny_agent

from agentcl.models import build_tiny_model, build_tiny_tokenizer, ensure_tiny_agent
from agentcl.registry import load_domain

SMALL_CORPUS = ["Hello, how can I help you with your reservation today?", "Your order #W1234 was cancelled."] * 50


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    return tiny_agent(tmp_path_factory)


def test_tokenizer_is_deterministic_and_has_the_qwen3_special_tokens():
    a = build_tiny_tokenizer(SMALL_CORPUS, vocab_size=400)
    b = build_tiny_tokenizer(SMALL_CORPUS, vocab_size=400)
    assert a.get_vocab() == b.get_vocab()
    for token in ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "</tool_call>",
                  "<tool_response>", "</tool_response>"]:
        ids = a.encode(token, add_special_tokens=False)
        assert len(ids) == 1, token
    assert a.eos_token == "<|im_end|>" and a.pad_token == "<|endoftext|>"
    # tool tags survive skip_special_tokens (the parser reads them); control tokens do not
    text = "<|im_start|>assistant\n<tool_call>\n{}\n</tool_call><|im_end|>"
    assert a.decode(a.encode(text, add_special_tokens=False), skip_special_tokens=True) == "assistant\n<tool_call>\n{}\n</tool_call>"
    # byte-level: any text round-trips, even characters the corpus never had
    odd = "Zürich → 東京 🚀 naïve"
    assert a.decode(a.encode(odd, add_special_tokens=False)) == odd


def test_tokenizer_rejects_bad_settings():
    with pytest.raises(ValueError, match="vocab_size"):
        build_tiny_tokenizer(SMALL_CORPUS, vocab_size=10)
    with pytest.raises(ValueError, match="empty"):
        build_tiny_tokenizer(["   "], vocab_size=400)


def test_chat_template_renders_tools_calls_and_results_like_qwen3(agent):
    _, tokenizer = agent
    tools = load_domain("mock").make_environment().agent_tool_schemas()
    messages = [
        {"role": "system", "content": "POLICY TEXT"},
        {"role": "user", "content": "Please list the users."},
        {"role": "assistant", "content": "Sure.", "tool_calls": [
            {"type": "function", "function": {"name": "get_users", "arguments": {}}},
            {"type": "function", "function": {"name": "update_task_status",
                                              "arguments": {"task_id": "task_1", "status": "completed"}}}]},
        {"role": "tool", "content": "[]"},
        {"role": "tool", "content": "{\"status\": \"completed\"}"},
        {"role": "assistant", "content": "Done."},
    ]
    text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=True)
    system_turn = text.split("<|im_end|>")[0]
    assert system_turn.startswith("<|im_start|>system\nPOLICY TEXT\n\n# Tools")
    for schema in tools:  # one JSON line per tool inside <tools>
        assert "\n" + json.dumps(schema, ensure_ascii=False) + "\n" in system_turn
    assert ('<|im_start|>assistant\nSure.\n<tool_call>\n{"name": "get_users", "arguments": {}}\n</tool_call>\n'
            '<tool_call>\n{"name": "update_task_status", "arguments": {"task_id": "task_1", "status": "completed"}}'
            '\n</tool_call><|im_end|>\n') in text
    # consecutive tool results share one user turn
    assert ("<|im_start|>user\n<tool_response>\n[]\n</tool_response>\n<tool_response>\n{\"status\": \"completed\"}"
            "\n</tool_response><|im_end|>\n") in text
    assert text.endswith("<|im_start|>assistant\nDone.<|im_end|>\n<|im_start|>assistant\n")
    no_tools = tokenizer.apply_chat_template(messages[:2], tokenize=False)
    assert no_tools == "<|im_start|>system\nPOLICY TEXT<|im_end|>\n<|im_start|>user\nPlease list the users.<|im_end|>\n"


def test_model_is_deterministic_for_a_seed_and_runs_a_forward_pass():
    tokenizer = build_tiny_tokenizer(SMALL_CORPUS, vocab_size=400)
    a, b, c = (build_tiny_model(tokenizer, seed=s) for s in (0, 0, 1))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.model.embed_tokens.weight, c.model.embed_tokens.weight)
    ids = torch.tensor([tokenizer.encode("Hello, how can I help", add_special_tokens=False)])
    logits = a(input_ids=ids).logits
    assert logits.shape == (1, ids.shape[1], len(tokenizer))
    assert a.config.model_type == "qwen3" and a.config.hidden_size == 64 and a.config.num_hidden_layers == 2


def test_ensure_tiny_agent_builds_once_and_loads_with_from_pretrained(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = ensure_tiny_agent(tmp_path / "agent", corpus_texts=SMALL_CORPUS, vocab_size=400)
    weights = next(path.glob("*.safetensors"))
    stamp = weights.stat().st_mtime_ns
    assert ensure_tiny_agent(tmp_path / "agent", corpus_texts=SMALL_CORPUS, vocab_size=400) == path
    assert weights.stat().st_mtime_ns == stamp  # reused, not rebuilt
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    assert tokenizer.chat_template and tokenizer.eos_token == "<|im_end|>"
    assert model.config.vocab_size == len(tokenizer)
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in model.generation_config.eos_token_id
    # a different setting is a different build
    ensure_tiny_agent(tmp_path / "agent", corpus_texts=SMALL_CORPUS, vocab_size=400, seed=3)
    assert json.loads((path / "agentcl_tiny_agent.json").read_text())["seed"] == 3


def test_default_corpus_covers_builtin_domain_text(agent):
    _, tokenizer = agent
    # domain words were merged into whole tokens (the tokenizer learned the domains' vocabulary)
    for word in ["update", "task", "status", "transfer", "human", "agents", " policy", " reservation"]:
        assert len(tokenizer.tokenize(word)) == 1, word
    small = build_tiny_tokenizer(SMALL_CORPUS, vocab_size=400)
    sentence = "Create a new task for a user, then update the task status."
    assert len(tokenizer.tokenize(sentence)) < len(small.tokenize(sentence))


def _build_and_report(directory, barrier, results):
    barrier.wait()  # all callers find no build and start at once, like the ranks of a fresh run
    try:
        from transformers import AutoModelForCausalLM

        path = ensure_tiny_agent(directory, corpus_texts=SMALL_CORPUS, vocab_size=400)
        AutoModelForCausalLM.from_pretrained(path)  # loadable right after the call returns
        results.put(next(path.glob("*.safetensors")).stat().st_mtime_ns)
    except Exception as exc:  # reported to the test, which shows it
        results.put(repr(exc))


def test_processes_building_the_same_agent_at_once_build_it_once(tmp_path):
    """Real processes: one builds, the others wait and reuse it, so nobody's folder is replaced
    while they load from it. (spawn, not fork: this process has run torch's thread pools.)"""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_build_and_report, args=(tmp_path / "agent", barrier, results))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    reported = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    weights = next((tmp_path / "agent").glob("*.safetensors"))
    assert reported == [weights.stat().st_mtime_ns] * 3, reported
