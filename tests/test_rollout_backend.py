"""The HF generation backend: shared-prefix KV cache, per-row budgets, sampling settings."""

from __future__ import annotations

import pytest
import torch
from rollout_fixtures import tiny_agent

from agentcl.rollout import GenerationParams, GenerationRequest, HFGenerationBackend, ScriptedAgent
from agentcl.rollout.backends import common_prefix_length


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    return tiny_agent(tmp_path_factory)


def _requests(tokenizer, n=3):
    shared = tokenizer.encode("<|im_start|>system\n" + "Follow the task tracker policy exactly. " * 12,
                              add_special_tokens=False)
    return [GenerationRequest(shared + tokenizer.encode(f"<|im_start|>user\nRequest number {i}" + " please" * i,
                                                        add_special_tokens=False), 12, tag=i)
            for i in range(n)]


def test_common_prefix_length():
    assert common_prefix_length([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2
    assert common_prefix_length([[5, 1], [1, 5]]) == 0
    assert common_prefix_length([[1, 2, 3]]) == 3


def test_shared_prefix_cache_gives_the_same_tokens_and_logprobs(agent):
    model, tokenizer = agent
    requests = _requests(tokenizer)
    texts = {0: "Hello there.", 1: "One moment please.", 2: "Done!"}
    force = ScriptedAgent(tokenizer, lambda tag: texts[tag])
    cached = HFGenerationBackend(model, tokenizer, extra_logits_processors=force, min_prefix_tokens=16)
    plain = HFGenerationBackend(model, tokenizer, extra_logits_processors=force, prefix_caching=False)
    params = GenerationParams(max_new_tokens=12, temperature=0.8)
    a, b = cached.generate(requests, params), plain.generate(requests, params)
    assert len(cached._prefix_caches) == 1
    prefix = next(iter(cached._prefix_caches))
    assert len(prefix) >= 40
    for x, y, i in zip(a, b, range(3)):
        assert x.token_ids == y.token_ids
        assert tokenizer.decode(x.token_ids) == texts[i] + "<|im_end|>" and x.stopped
        assert torch.allclose(torch.tensor(x.logprobs), torch.tensor(y.logprobs), atol=1e-4)
    assert cached.prefill_tokens < plain.prefill_tokens


def test_prefix_cache_is_reused_then_dropped_when_the_weights_change(agent):
    model, tokenizer = agent
    backend = HFGenerationBackend(model, tokenizer, min_prefix_tokens=16)
    params = GenerationParams(max_new_tokens=4)
    backend.generate(_requests(tokenizer), params)
    first = next(iter(backend._prefix_caches.values()))
    backend.generate(_requests(tokenizer), params)
    assert next(iter(backend._prefix_caches.values())) is first  # reused
    weight = model.model.norm.weight
    with torch.no_grad():
        weight.mul_(1.0)  # an in-place update (as an optimizer step makes) bumps the version counter
    backend.generate(_requests(tokenizer), params)
    assert next(iter(backend._prefix_caches.values())) is not first


def test_rows_keep_their_own_token_budgets(agent):
    model, tokenizer = agent
    backend = HFGenerationBackend(model, tokenizer, prefix_caching=False)
    requests = _requests(tokenizer)
    requests[0].max_new_tokens, requests[1].max_new_tokens, requests[2].max_new_tokens = 3, 7, 12
    force = ScriptedAgent(tokenizer, lambda tag: "word " * 40, strict=False)
    backend.extra_logits_processors = force
    outputs = backend.generate(requests, GenerationParams(max_new_tokens=12))
    assert [len(o.token_ids) for o in outputs] == [3, 7, 12]
    assert not any(o.stopped for o in outputs)


def test_checkpoint_sampling_settings_do_not_leak_into_rollouts(agent):
    """A checkpoint's generation_config (top_k, repetition penalty, min_p) must not change the sampled
    distribution: TRL recomputes log-probs from plain logits / temperature."""
    model, tokenizer = agent
    saved = model.generation_config
    try:
        model.generation_config = saved.__class__(**{**saved.to_dict(), "top_k": 3, "repetition_penalty": 2.0,
                                                      "min_p": 0.5})
        seen = []
        original = model._get_logits_processor

        def spy(*args, **kwargs):
            processors = original(*args, **kwargs)
            seen.extend(processors)
            return processors

        model._get_logits_processor = spy
        HFGenerationBackend(model, tokenizer, prefix_caching=False).generate(
            _requests(tokenizer, 1), GenerationParams(max_new_tokens=2, temperature=0.7))
    finally:
        model.generation_config = saved
        del model._get_logits_processor
    names = [type(p).__name__ for p in seen]
    assert "TopKLogitsWarper" not in names and "RepetitionPenaltyLogitsProcessor" not in names
    assert all(p.min_p == 0.0 for p in seen if type(p).__name__ == "MinPLogitsWarper")
    assert names[0] == "SampledLogprobRecorder"
