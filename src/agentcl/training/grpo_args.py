"""RunConfig -> TRL `GRPOConfig` for one curriculum stage.

`config.training` already is a GRPOConfig (every field a flag/YAML key); per stage we only set what
the run derives: the checkpoint directory and run name, the batch layout for this many processes
(`config.batch_layout`: one optimizer step per generation batch of tasks_per_step x G
conversations), precision from the model dtype, the conversation token budget as
`max_completion_length`, the weights of the reward terms, and the dataset columns our reward
functions read.

TRL 1.16 facts this relies on (grpo_trainer.py / grpo_config.py): the sampler repeats each task
row G times; rewards are gathered over all processes before advantages are computed per group, so
a group split across processes is still normalised as one group.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig, batch_layout, grpo_config_for
from .model_loading import resolve_dtype, use_gpu
from .rewards import reward_weights


def build_grpo_config(config: RunConfig, output_dir: str | Path, num_processes: int, *,
                      run_name: str | None = None):
    """GRPOConfig for one stage, writing its checkpoints under `output_dir`."""
    import torch

    t = config.training
    micro, accumulation = batch_layout(t.num_generations, config.run, num_processes)
    gpu = use_gpu()
    dtype = resolve_dtype(config.model.dtype)
    return grpo_config_for(
        t,
        output_dir=str(output_dir),
        run_name=run_name or t.run_name or Path(t.output_dir).name,
        per_device_train_batch_size=micro,
        gradient_accumulation_steps=accumulation,
        steps_per_generation=accumulation,
        # the conversation is the completion; its token budget bounds it (dr_grpo normalises by it)
        max_completion_length=config.rollout.max_conversation_tokens,
        # one weight per reward term switched on (rewards/terms.py; TrainingSession.reward_funcs)
        reward_weights=reward_weights(config),
        # precision: bf16 on GPU, fp32 on CPU (no autocast there)
        bf16=gpu and dtype == torch.bfloat16,
        fp16=gpu and dtype == torch.float16,
        use_cpu=not gpu,
        save_strategy="steps",
        # our dataset rows carry the task reference columns the reward functions read
        remove_unused_columns=False,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
    )
