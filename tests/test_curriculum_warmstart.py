"""Warm start: the oracle agent's gold conversations, supervised examples, and the supervised pass."""

from __future__ import annotations

import json

import pytest
import torch

from agentcl.curriculum.warmstart import (
    OracleAgent,
    WarmStartSettings,
    _batch_loss,
    full_sequence_loss,
    gold_conversations,
    read_warm_start,
    sft_examples,
    supervised_warm_start,
    warm_start,
)
from agentcl.registry import load_domain
from agentcl.rollout import RolloutLimits
from agentcl.users.scripted import ScriptedUserSimulator

from rollout_fixtures import tiny_agent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, tokenizer = tiny_agent(tmp_path_factory)
    return model, tokenizer, tmp_path_factory.getbasetemp() / "tiny-agent"


@pytest.fixture(scope="module")
def mock_gold(tiny):
    _, tokenizer, _ = tiny
    data = load_domain("mock")
    return gold_conversations(tokenizer, [(t, data) for t in data.tasks_for_split("train")], ScriptedUserSimulator(),
                              limits=RolloutLimits(max_steps=20, max_total_tokens=4096))


def test_the_oracle_solves_every_mock_task_through_the_real_engine(mock_gold):
    good, bad = mock_gold
    assert bad == [] and len(good) == len(load_domain("mock").tasks_for_split("train"))
    by_kind = {c.task_id.rsplit("_", 1)[0]: c for c in good}
    create = by_kind["mock_create"]
    texts = [m.content or "" for m in create.messages if m.role == "assistant"]
    assert texts[0].startswith("Could you please provide your user id?")  # the id is only in the scenario
    assert any(call.name == "create_task" for m in create.messages for call in (m.tool_calls or []))
    assert create.messages[-1].role == "user" and "###STOP###" in create.messages[-1].content


def test_the_oracle_solves_airline_tasks_that_need_lookups(tiny):
    _, tokenizer, _ = tiny
    data = load_domain("airline")
    tasks = [(t, data) for t in data.tasks_for_split("train")[:4]]
    good, bad = gold_conversations(tokenizer, tasks, ScriptedUserSimulator(),
                                   limits=RolloutLimits(max_steps=30, max_total_tokens=8192))
    assert bad == [] and len(good) == 4


def test_the_oracle_asks_for_what_the_user_knows_then_calls_then_reports():
    from types import SimpleNamespace

    from agentcl.data_model import Message

    task = next(t for t in load_domain("mock").tasks if t.id.startswith("mock_create"))
    action = task.gold_actions[0]
    user_id = action.arguments["user_id"]
    oracle = OracleAgent()
    messages = [Message(role="user", content=f"Hi. I want a new task called '{action.arguments['title']}'.")]
    conversation = SimpleNamespace(task=task, messages=messages, history_len=0, conversation_id="c1")
    assert oracle(conversation) == "Could you please provide your user id?"
    messages += [Message(role="assistant", content="Could you please provide your user id?"),
                 Message(role="user", content=f"My user id is {user_id}.")]
    call = oracle(conversation)
    assert call.startswith("<tool_call>\n") and call.endswith("\n</tool_call>")
    assert json.loads(call.split("\n")[1]) == {"name": action.name, "arguments": action.arguments}
    from agentcl.data_model import ToolCall

    messages += [Message(role="assistant", tool_calls=[ToolCall(id="c", name=action.name, arguments=action.arguments)]),
                 Message(role="tool", id="c", content="{}")]
    final = oracle(conversation)
    assert all(info in final for info in task.evaluation_criteria.communicate_info) and "?" not in final
    # a question is asked once: if the user could not answer, the oracle goes ahead with the call
    stuck = SimpleNamespace(task=task, messages=messages[:2] + [Message(role="user", content="I don't know.")],
                            history_len=0, conversation_id="c1")
    assert oracle(stuck).startswith("<tool_call>")


def test_examples_put_the_loss_on_agent_tokens_only(tiny, mock_gold):
    _, tokenizer, _ = tiny
    good, _ = mock_gold
    example = sft_examples(good[:1])[0]
    conversation = good[0]
    assert example.input_ids == conversation.prompt_ids + conversation.completion_ids
    labelled = [t for t in example.labels if t != -100]
    assert labelled == [t for t, m in zip(conversation.completion_ids, conversation.env_mask) if m]
    text = tokenizer.decode(labelled)
    for message in conversation.messages:
        if message.role == "assistant" and message.content:
            assert message.content in text
        if message.role == "user" and message.content:
            assert message.content not in text


def test_shared_prefix_loss_equals_the_full_sequence_loss(tiny, mock_gold):
    model, tokenizer, _ = tiny
    batch = sft_examples(mock_gold[0][:3])
    with torch.no_grad():
        shared = _batch_loss(model, batch, tokenizer.pad_token_id)
        full = full_sequence_loss(model, batch, tokenizer.pad_token_id)
    assert shared.item() == pytest.approx(full.item(), rel=1e-4)


@pytest.mark.slow
def test_supervised_pass_learns_the_gold_turns(tiny, mock_gold, tmp_path):
    _, _, base_dir = tiny
    good, bad = mock_gold
    conversations = good[:4]  # four kinds of task: ask for an id, or call a tool, depending on the request
    report = warm_start(base_dir, tmp_path / "ws", conversations, failed=bad,
                        settings=WarmStartSettings(steps=80, batch_size=4, learning_rate=2e-2), progress=False)
    training = report.training
    assert training["steps"] == 80 and training["loss_last10_mean"] < 0.2 < training["loss_first"]
    saved = read_warm_start(tmp_path / "ws")
    assert saved["examples"] == 4 and saved["gold_conversations"] == 4 and saved["agent_tokens"] > 0
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tmp_path / "ws")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "ws")
    end_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    for conversation in conversations:
        # the saved model now writes the oracle's first turn itself (greedy decoding)
        agent_tokens = [t for t, m in zip(conversation.completion_ids, conversation.env_mask) if m]
        first_turn = agent_tokens[: agent_tokens.index(end_id) + 1]
        out = model.generate(torch.tensor([conversation.prompt_ids]), max_new_tokens=len(first_turn), do_sample=False)
        assert out[0, len(conversation.prompt_ids):].tolist() == first_turn, conversation.task_id


def test_supervised_pass_needs_examples(tiny):
    model, tokenizer, _ = tiny
    with pytest.raises(ValueError, match="no supervised examples"):
        supervised_warm_start(model, tokenizer, [], WarmStartSettings(steps=1), progress=False)
