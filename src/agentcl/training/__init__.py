"""TRL GRPO training of the agent: trainer wiring, rewards glue, model loading, stage runner.

    from agentcl.training import TrainingSession, train_stage, load_policy
"""

from .model_loading import load_model_and_tokenizer, load_policy, lora_config, quantization_config
from .trainer import StageSpec, TrainingSession, TrainResult, finished_stage, stage_paths, train_stage

__all__ = [
    "StageSpec",
    "TrainResult",
    "TrainingSession",
    "finished_stage",
    "load_model_and_tokenizer",
    "load_policy",
    "lora_config",
    "quantization_config",
    "stage_paths",
    "train_stage",
]
