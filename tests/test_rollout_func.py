"""make_rollout_func against TRL 1.16's real GRPOTrainer: the contract, end to end, on CPU."""

from __future__ import annotations

import os

import pytest
from rollout_fixtures import CountingUser, tiny_agent, tool_call_text

from agentcl.data_model import RewardInfo
from agentcl.errors import DataError
from agentcl.registry import load_domain
from agentcl.rewards.pending import PendingConversationReward
from agentcl.rollout import GenerationParams, RolloutLimits, ScriptedAgent, make_rollout_func, parse_task_prompt, task_dataset, task_prompt


def test_task_prompts_round_trip_and_bad_ones_fail_clearly():
    prompt = task_prompt("mock", "mock_create_0")
    assert parse_task_prompt(prompt) == ("mock", "mock_create_0")
    assert parse_task_prompt({"domain": "mock", "task_id": 7}) == ("mock", "7")
    assert parse_task_prompt([{"role": "user", "content": prompt}]) == ("mock", "mock_create_0")
    with pytest.raises(DataError, match="not a task reference"):
        parse_task_prompt("What is the weather?")
    with pytest.raises(DataError, match="must name a domain and a task_id"):
        parse_task_prompt('{"domain": "mock"}')


def test_items_number_the_trials_of_each_task():
    mock = load_domain("mock")
    func = make_rollout_func(user_simulator=CountingUser(), domains={"mock": mock})
    a, b = task_prompt("mock", "mock_create_0"), task_prompt("mock", "mock_complete_1")
    items = func.items_for([a, a, b, b, a])
    assert [(i.task.id, i.trial) for i in items] == [
        ("mock_create_0", 0), ("mock_create_0", 1), ("mock_complete_1", 0), ("mock_complete_1", 1),
        ("mock_create_0", 2)]
    with pytest.raises(DataError, match="only mock were given"):
        func.items_for([task_prompt("airline", "0")])


def test_one_grpo_step_with_the_rollout_func(tmp_path, tmp_path_factory):
    """A real GRPOTrainer step (LoRA) on the tiny model: prompts arrive G times each, our extra
    fields reach the reward function, env_mask becomes TRL's loss mask, and the step trains."""
    os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
    from peft import LoraConfig
    from trl import GRPOConfig, GRPOTrainer

    model, tokenizer = tiny_agent(tmp_path_factory)
    mock = load_domain("mock")
    received_prompts, ended = [], []

    def on_end(conv):
        ended.append(conv.conversation_id)
        acted = any(m.role == "tool" and not m.error for m in conv.messages)
        return PendingConversationReward(RewardInfo(reward=1.0 if acted else 0.0))

    def script(conv):  # trials differ: even ones create the task, odd ones only talk
        if conv.num_agent_turns == 0 and conv.trial % 2 == 0:
            return tool_call_text("create_task", {"user_id": "user_10", "title": "Hiring Loop 58"})
        return "Done, task_21 is created." if conv.trial % 2 == 0 else "Sorry, I cannot help."

    func = make_rollout_func(
        user_simulator=CountingUser(stop_after=2),
        extra_logits_processors=ScriptedAgent(tokenizer, script),
        domains={"mock": mock},
        generation=GenerationParams(max_new_tokens=48, temperature=1.0),
        limits=RolloutLimits(max_steps=12, max_total_tokens=1500),
        on_conversation_end=on_end,
    )

    def rollout_func(prompts, trainer):
        received_prompts.append(list(prompts))
        return func(prompts, trainer)

    reward_calls = []

    def task_reward(prompts, completions, completion_ids, **kwargs):
        reward_calls.append(kwargs)
        return [p.task_reward() for p in kwargs["reward_pending"]]

    dataset = task_dataset([("mock", t) for t in mock.tasks[:2]])
    config = GRPOConfig(
        output_dir=str(tmp_path / "out"), num_generations=4, per_device_train_batch_size=8,
        gradient_accumulation_steps=1, max_steps=1, max_completion_length=1500, temperature=1.0,
        learning_rate=1e-3, report_to="none", use_cpu=True, logging_steps=1, save_strategy="no",
        remove_unused_columns=False, dataloader_num_workers=0, seed=0, beta=0.0,
    )
    trainer = GRPOTrainer(
        model=model, reward_funcs=[task_reward], args=config, train_dataset=dataset, processing_class=tokenizer,
        rollout_func=rollout_func, peft_config=LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
    )
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    func.close()

    # TRL repeated each of the 2 tasks G=4 times in a row and passed that slice to rollout_func
    (prompts,) = received_prompts
    assert len(prompts) == 8 and len(set(prompts)) == 2
    assert prompts[:4] == [prompts[0]] * 4 and prompts[4:] == [prompts[4]] * 4
    conversations = func.last_conversations
    assert [c.trial for c in conversations] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert sorted(ended) == sorted(c.conversation_id for c in conversations)
    # extra keys reached the reward function, one value per completion
    (kwargs,) = reward_calls
    assert kwargs["task_id"] == [parse_task_prompt(p)[1] for p in prompts]
    assert len(kwargs["conversation"]) == 8 and kwargs["conversation"][0] is conversations[0]
    assert kwargs["termination"] == ["user_stop"] * 8
    assert [p.task_reward() for p in kwargs["reward_pending"]] == [1.0, 0.0, 1.0, 0.0] * 2
    # TRL counted only env_mask=1 tokens as the completion length
    logged = trainer.state.log_history[0]
    mean_agent_tokens = sum(sum(c.env_mask) for c in conversations) / 8
    assert logged["completions/mean_length"] == pytest.approx(mean_agent_tokens)
    assert logged["completions/clipped_ratio"] == 0.0  # each completion ends on the agent's end-of-turn token
    assert logged["reward_std"] > 0 and logged["grad_norm"] > 0
    assert trainer.state.global_step == 1
    after = dict(trainer.model.named_parameters())
    assert any(not torch_equal(before[n], after[n]) for n in before)  # the LoRA weights moved


def torch_equal(a, b) -> bool:
    import torch

    return torch.equal(a.detach().cpu(), b.detach().cpu())


def test_scripted_tool_calls_run_through_the_rollout_func_outputs(tmp_path_factory):
    """rollout_outputs: the dict TRL gets, from an engine run (no trainer needed)."""
    from rollout_fixtures import scripted_engine

    from agentcl.rollout import RolloutItem, rollout_outputs

    model, tokenizer = tiny_agent(tmp_path_factory)
    mock = load_domain("mock")
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=1),
                             lambda c: tool_call_text("get_users", {}) if c.num_agent_turns == 0 else "Done.")
    with engine:
        conversations = engine.run([RolloutItem(mock.task("mock_create_0"), mock, 0)])
    out = rollout_outputs(conversations)
    assert {"prompt_ids", "completion_ids", "logprobs", "env_mask"} <= set(out)
    assert all(len(out[k]) == 1 for k in out)
    assert len(out["completion_ids"][0]) == len(out["logprobs"][0]) == len(out["env_mask"][0])
    assert out["termination"] == ["user_stop"] and out["num_tool_calls"] == [1] and out["num_turns"] == [2]
