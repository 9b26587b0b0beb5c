"""Batched multi-turn rollouts: the agent model and a user simulator, many conversations in lockstep.

- engine.py: RolloutEngine (lockstep rounds), Conversation (state + result), limits
- backends.py: batched generation with sampling logprobs (HF default; TRL vLLM seam)
- masks.py: prompt/completion tokens, env_mask, chat-template deltas
- tool_parser.py: completion text -> tool calls, per template family
- rollout_func.py: TRL GRPOTrainer's rollout_func
"""

from .backends import (
    GenerationBackend,
    GenerationOutput,
    GenerationParams,
    GenerationRequest,
    HFGenerationBackend,
    VLLMTrainerBackend,
    stop_token_ids_for,
    vllm_available,
)
from .chat_format import default_system_prompt, to_chat_dicts, visible_to_agent
from .engine import (
    INVALID_TOOL_CALL,
    Conversation,
    Phase,
    RolloutEngine,
    RolloutItem,
    RolloutLimits,
    RolloutStats,
    expand_group,
)
from .masks import SegmentRenderer, TokenRecord, TurnEnd
from .rollout_func import RolloutFunction, make_rollout_func, parse_task_prompt, rollout_outputs, task_dataset, task_prompt
from .scripted_agent import ScriptedAgent
from .tool_parser import (
    TOOL_CALL_PARSERS,
    HermesToolCallParser,
    ParsedCompletion,
    ParsedToolCall,
    get_tool_call_parser,
    register_tool_call_parser,
)

__all__ = [
    "Conversation",
    "GenerationBackend",
    "GenerationOutput",
    "GenerationParams",
    "GenerationRequest",
    "HFGenerationBackend",
    "HermesToolCallParser",
    "INVALID_TOOL_CALL",
    "ParsedCompletion",
    "ParsedToolCall",
    "Phase",
    "RolloutEngine",
    "RolloutItem",
    "RolloutLimits",
    "RolloutFunction",
    "RolloutStats",
    "ScriptedAgent",
    "SegmentRenderer",
    "TOOL_CALL_PARSERS",
    "TokenRecord",
    "TurnEnd",
    "VLLMTrainerBackend",
    "default_system_prompt",
    "expand_group",
    "get_tool_call_parser",
    "make_rollout_func",
    "parse_task_prompt",
    "register_tool_call_parser",
    "rollout_outputs",
    "stop_token_ids_for",
    "task_dataset",
    "task_prompt",
    "to_chat_dicts",
    "visible_to_agent",
    "vllm_available",
]
