"""GRPO's group-relative signal through our trainer wiring, on the tiny local model.

The rollouts here are fixed token sequences (a synthetic rollout_func in TRL's contract) so the
test controls exactly which conversation is good; everything else is the real path: our
GRPOConfig, TRL's GRPOTrainer with a fresh LoRA adapter, one optimizer step on CPU.
"""

from __future__ import annotations

import os
import zlib

import pytest
import torch

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

from agentcl.config import ModelArgs, RunConfig  # noqa: E402
from agentcl.training.trainer import TrainingSession  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    from agentcl.training.model_loading import load_model_and_tokenizer

    cfg = ModelArgs(model_name_or_path="tiny", lora_r=4, lora_alpha=8, lora_dropout=0.0)
    return cfg, load_model_and_tokenizer


def make_config(tmp_path, model_cfg, *, group: int, tasks_per_step: int, lr: float) -> RunConfig:
    config = RunConfig(users=None, judge=None)
    config.model = model_cfg
    config.training.num_generations = group
    config.run.tasks_per_step = tasks_per_step
    config.training.max_steps = 1
    config.training.gradient_checkpointing = False
    config.training.save_steps = 1000
    config.training.learning_rate = lr
    config.rollout.max_conversation_tokens = 64
    config.training.output_dir = str(tmp_path / "run")
    return config


def synthetic_rollout(tokenizer, completions_for):
    """TRL rollout_func over fixed sequences: prompt = the task text, completion = completions_for(task, k)."""

    def rollout(prompts, trainer):
        seen = {}
        out = {"prompt_ids": [], "completion_ids": [], "logprobs": [], "env_mask": [], "task": [], "k": []}
        for prompt in prompts:
            k = seen.get(prompt, 0)
            seen[prompt] = k + 1
            ids = completions_for(prompt, k)
            out["prompt_ids"].append(tokenizer.encode(f"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"))
            out["completion_ids"].append(ids)
            out["logprobs"].append([0.0] * len(ids))
            # the last three tokens play an environment reply: masked out of the loss
            out["env_mask"].append([1] * (len(ids) - 3) + [0] * 3)
            out["task"].append(prompt)
            out["k"].append(k)
        return out

    return rollout


def distinct_completion(tokenizer, task: str, k: int) -> list[int]:
    g = torch.Generator().manual_seed(zlib.crc32(f"{task}/{k}".encode()))
    body = torch.randint(10, len(tokenizer) - 20, (12,), generator=g).tolist()
    return body + [tokenizer.eos_token_id]


def lora_state(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}


def sequence_logprob(model, prompt_ids, completion_ids, env_mask) -> float:
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, :-1].float()
    logps = torch.log_softmax(logits, dim=-1).gather(1, ids[0, 1:, None]).squeeze(1)
    tail = logps[len(prompt_ids) - 1:]
    return float((tail * torch.tensor(env_mask, dtype=tail.dtype)).sum())


def train_one_step(tmp_path, tiny, rewards_for, *, group=4, tasks=("task-a", "task-b"), lr=1e-3, model_cfg=None,
                   inspect=None):
    from datasets import Dataset

    default_cfg, load = tiny
    model_cfg = model_cfg or default_cfg
    model, tokenizer = load(model_cfg)
    config = make_config(tmp_path, model_cfg, group=group, tasks_per_step=len(tasks), lr=lr)

    def completions_for(task, k):
        return distinct_completion(tokenizer, task, k)

    def reward(completions, task, k, **kwargs):
        return [rewards_for(t, j) for t, j in zip(task, k)]

    session = TrainingSession(config)
    dataset = Dataset.from_list([{"prompt": t} for t in tasks])
    trainer, record = session.build_trainer("synthetic", model, tokenizer, dataset=dataset,
                                            rollout_func=synthetic_rollout(tokenizer, completions_for),
                                            reward_funcs=[reward])
    if inspect is not None:
        inspect(trainer.model)
    before = lora_state(trainer.model)
    prompt_ids = tokenizer.encode("<|im_start|>user\ntask-a<|im_end|>\n<|im_start|>assistant\n")
    probe = {k: completions_for("task-a", k) for k in range(group)}
    mask = {k: [1] * (len(v) - 3) + [0] * 3 for k, v in probe.items()}
    trainer.model.eval()
    logp_before = {k: sequence_logprob(trainer.model, prompt_ids, probe[k], mask[k]) for k in probe}
    trainer.train()
    trainer.model.eval()
    logp_after = {k: sequence_logprob(trainer.model, prompt_ids, probe[k], mask[k]) for k in probe}
    after = lora_state(trainer.model)
    session.close()
    return before, after, logp_before, logp_after, record


def test_groups_with_equal_rewards_give_no_gradient(tmp_path, tiny):
    # every conversation of a task gets the same reward (different per task): zero advantages
    before, after, *_ , record = train_one_step(tmp_path, tiny, lambda task, k: 1.0 if task == "task-a" else 0.25)
    assert before and set(before) == set(after)
    changed = [n for n in before if not torch.equal(before[n], after[n])]
    assert changed == [], f"LoRA weights moved without any reward difference inside a group: {changed[:3]}"
    assert record.steps and record.steps[-1]["frac_groups_zero_std"] == 1.0
    assert record.steps[-1]["advantage_abs_mean"] == 0.0


def test_one_good_conversation_in_a_group_gains_probability(tmp_path, tiny):
    # task-a: conversation 0 succeeds, the other G-1 fail; task-b: all fail (no signal)
    before, after, logp_before, logp_after, record = train_one_step(
        tmp_path, tiny, lambda task, k: 1.0 if (task == "task-a" and k == 0) else 0.0)
    assert any(not torch.equal(before[n], after[n]) for n in before), "LoRA weights did not change"
    gain_good = logp_after[0] - logp_before[0]
    gain_bad = [logp_after[k] - logp_before[k] for k in (1, 2, 3)]
    assert gain_good > 0, f"the rewarded conversation lost log-probability: {gain_good}"
    assert gain_good > max(gain_bad), (gain_good, gain_bad)
    entry = record.steps[-1]
    assert entry["frac_groups_zero_std"] == 0.5  # task-b's group carried no signal
    assert entry["advantage_max"] > 0 > entry["advantage_min"]
    assert entry["reward_mean"] == pytest.approx(1 / 8)


def test_qlora_trains_only_the_adapter_on_a_4bit_base(tmp_path, tiny):
    """--load-in-4bit: bitsandbytes nf4 base layers (frozen), LoRA adapters on top are what moves."""
    import dataclasses

    import bitsandbytes as bnb

    model_cfg = dataclasses.replace(tiny[0], load_in_4bit=True)
    seen = {}

    def inspect(model):
        seen["4bit_layers"] = sum(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
        seen["trainable"] = sorted({n.split(".")[-2] for n, p in model.named_parameters() if p.requires_grad})

    before, after, logp_before, logp_after, _ = train_one_step(
        tmp_path, tiny, lambda task, k: 1.0 if (task == "task-a" and k == 0) else 0.0, model_cfg=model_cfg,
        inspect=inspect)
    assert seen["4bit_layers"] >= 14  # 7 projections x 2 layers, quantized
    assert seen["trainable"] == ["default"], seen["trainable"]  # lora_A.default / lora_B.default only
    assert any(not torch.equal(before[n], after[n]) for n in before)
    assert logp_after[0] > logp_before[0]


def test_stages_continue_one_adapter_and_keep_no_kl_copy(tmp_path, tiny):
    """Stage 2 trains the adapter stage 1 left (beta > 0: TRL's frozen reference copy is dropped after)."""
    from datasets import Dataset

    model_cfg, load = tiny
    model, tokenizer = load(model_cfg)
    config = make_config(tmp_path, model_cfg, group=4, tasks_per_step=1, lr=1e-3)
    config.training.beta = 0.05

    def reward(completions, task, k, **kwargs):
        return [1.0 if j == 0 else 0.0 for j in k]

    rollout = synthetic_rollout(tokenizer, lambda task, k: distinct_completion(tokenizer, task, k))
    session = TrainingSession(config)
    kwargs = dict(dataset=Dataset.from_list([{"prompt": "task-a"}]), rollout_func=rollout, reward_funcs=[reward])
    first = session.train_stage("one", model, tokenizer, **kwargs)
    after_first = lora_state(first.model)
    second = session.train_stage("two", first.model, tokenizer, step_offset=first.steps, **kwargs)
    session.close()

    assert second.model is first.model  # the same PEFT model, trained further
    assert "ref" not in second.model.peft_config and set(second.model.peft_config) == {"default"}
    after_second = lora_state(second.model)
    assert set(after_first) == set(after_second)
    assert any(not torch.equal(after_first[n], after_second[n]) for n in after_first)
    for result in (first, second):
        assert (result.adapter_dir / "adapter_model.safetensors").is_file()
        assert result.steps == 1 and result.log and "kl" in result.log[-1]
    assert second.log[-1]["step"] == 2  # global step numbering continues across stages
