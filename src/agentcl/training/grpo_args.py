"""RunConfig -> TRL `GRPOConfig` for one curriculum stage.

Batch arithmetic (TRL 1.16, checked in grpo_trainer.py / grpo_config.py):
- TRL's sampler repeats every dataset row `num_generations` (G) times in a row, so a step's
  "generation batch" is `tasks_per_step x G` rows, split into contiguous per-process slices; our
  rollout_func gets its process's slice (G copies of each task, or part of a group when a group
  spans processes) and returns one conversation per row.
- Rewards are gathered over all processes before advantages are computed per group of G, so a
  group split across processes is still normalised as one group.
- We make one optimizer step per generation batch: `steps_per_generation` =
  `gradient_accumulation_steps` = per-process rows / micro-batch. Then TRL skips the separate
  "old log-prob" pass (the policy has not moved since sampling) unless `num_iterations` > 1.
"""

from __future__ import annotations

from pathlib import Path

from ..config import ConfigError, RunConfig
from .model_loading import resolve_dtype, use_gpu


def batch_layout(config: RunConfig, num_processes: int) -> tuple[int, int]:
    """(micro-batch per device, gradient-accumulation steps) for one optimizer step per rollout batch."""
    t = config.training
    conversations = t.tasks_per_step * t.num_generations
    if conversations % num_processes:
        raise ConfigError(
            f"--tasks-per-step {t.tasks_per_step} x --group-size {t.num_generations} = {conversations} conversations "
            f"per step cannot be split evenly over {num_processes} processes; choose values whose product is a "
            f"multiple of {num_processes}")
    per_process = conversations // num_processes
    micro = t.micro_batch_size or per_process
    if per_process % micro:
        raise ConfigError(
            f"--micro-batch-size {micro} does not divide the {per_process} conversations each process trains on "
            "per step")
    return micro, per_process // micro


def build_grpo_config(config: RunConfig, output_dir: str | Path, num_processes: int, *,
                      run_name: str | None = None):
    """GRPOConfig for one stage, writing its checkpoints under `output_dir`."""
    from trl import GRPOConfig

    t, r, m = config.training, config.rollout, config.model
    micro, accumulation = batch_layout(config, num_processes)
    gpu = use_gpu()
    dtype = resolve_dtype(m.dtype)
    import torch

    report_to = list(t.report_to) or "none"
    return GRPOConfig(
        output_dir=str(output_dir),
        run_name=run_name or config.output.run_name or Path(config.output.output_dir).name,
        seed=config.seed,
        # batch: one optimizer step per generation batch of tasks_per_step x G conversations
        num_generations=t.num_generations,
        per_device_train_batch_size=micro,
        gradient_accumulation_steps=accumulation,
        steps_per_generation=accumulation,
        num_iterations=t.num_iterations,
        max_steps=t.max_steps,
        # the conversation is the completion; its token budget bounds it (dr_grpo normalises by it)
        max_completion_length=r.max_conversation_tokens,
        temperature=r.temperature,  # TRL divides logits by it when it recomputes log-probs
        top_p=r.top_p,
        # optimisation
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_steps,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        beta=t.beta,
        loss_type=t.loss_type,
        epsilon=t.epsilon,
        epsilon_high=t.epsilon_high,
        scale_rewards=t.scale_rewards,
        # issue 12: task reward (weight 1) + the partial-credit term when it is on (see trainer.reward_funcs)
        reward_weights=[1.0, t.partial_credit] if t.partial_credit else None,
        # precision: bf16 on GPU, fp32 on CPU (no autocast there)
        bf16=gpu and dtype == torch.bfloat16,
        fp16=gpu and dtype == torch.float16,
        use_cpu=not gpu,
        gradient_checkpointing=m.gradient_checkpointing,
        # checkpoints, logging
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        logging_steps=t.logging_steps,
        report_to=report_to,
        # our dataset rows carry the task reference columns the reward functions read
        remove_unused_columns=False,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
        disable_tqdm=False,
    )
