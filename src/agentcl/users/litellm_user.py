"""User simulators backed by an LLM through litellm.

- `openai_user_simulator` (OpenAIUserSimulator): an OpenAI-compatible relay or server, given by
  --openai-api-base / --openai-api-key / --openai-model (or several endpoints in a file).
- `user_simulator` (LiteLLMUserSimulator): any litellm model string (--user-model), keys from the
  provider's usual environment variables or --openai-api-key.

Both send standard chat requests; many conversations' user turns run concurrently, capped by the
client's `max_concurrency`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .chat_user import ChatUserSimulator, UserReply
from .config import UserSimulatorConfig
from ..llm.client import Endpoint, LLMClient


class LiteLLMUserSimulator(ChatUserSimulator):
    name: ClassVar[str] = "user_simulator"
    provider: ClassVar[str] = "litellm"

    def __init__(self, endpoints: list[Endpoint], *, temperature: float = 0.0, max_concurrency: int = 32,
                 num_retries: int = 6, timeout: float = 60.0, backoff_base: float = 0.5, backoff_max: float = 8.0,
                 cooldown: float = 5.0, max_tool_rounds: int = 4, seed: int | None = None,
                 price_per_mtok: tuple[float, float] | None = None):
        super().__init__(max_tool_rounds=max_tool_rounds)
        self.client = LLMClient(endpoints, name=f"{self.name} user simulator", max_concurrency=max_concurrency,
                                num_retries=num_retries, timeout_s=timeout, backoff_base_s=backoff_base,
                                backoff_max_s=backoff_max, cooldown_s=cooldown,
                                default_params={"temperature": temperature}, seed=seed,
                                price_per_mtok=tuple(price_per_mtok) if price_per_mtok else None)

    @classmethod
    def from_config(cls, config: UserSimulatorConfig) -> "LiteLLMUserSimulator":
        return cls(config.endpoints(provider="openai" if cls.provider == "openai" else "litellm"),
                   temperature=config.temperature, max_concurrency=config.max_concurrency,
                   num_retries=config.num_retries, timeout=config.timeout, backoff_base=config.backoff_base,
                   backoff_max=config.backoff_max, cooldown=config.cooldown, max_tool_rounds=config.max_tool_rounds,
                   seed=config.seed, price_per_mtok=config.price_per_mtok)

    async def _reply(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> UserReply:
        completion = await self.client.complete(messages, tools=tools)
        return UserReply(completion.content, completion.tool_calls, completion.usage)

    async def aclose(self) -> None:
        await self.client.aclose()


class OpenAIUserSimulator(LiteLLMUserSimulator):
    name: ClassVar[str] = "openai_user_simulator"
    provider: ClassVar[str] = "openai"
