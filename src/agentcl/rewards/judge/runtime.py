"""The judges a run needs, built from a JudgeConfig, and the conversation-end hook.

`JudgeRuntime(config)` builds the dispatcher (only when an LLM judge is in use), the NL-assertion
judge and the quality judge (only when --judge-coefficient is not 0).
`runtime.on_conversation_end(conversation)` is the rollout engine's end hook: it computes the
task reward's local parts at once and submits the conversation's judge requests, returning the
conversation's `PendingConversationReward` (rewards/pending.py) that the reward terms read
(rewards/terms.py).

Conversations cut by a limit (not a user or agent stop) are not sent to the quality judge: their
task reward is 0 and their judge score counts as missing (no judge term); the length penalty
still applies.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...data_model import Message, Task, TerminationReason
from ..pending import PendingConversationReward
from .dispatcher import CompletionFn, JudgeDispatcher
from .cache import JudgeCache
from .config import JudgeConfig
from .judges import (
    AssertionJudge,
    HeuristicAssertionJudge,
    HeuristicQualityJudge,
    LLMAssertionJudge,
    LLMQualityJudge,
    QualityJudge,
)

if TYPE_CHECKING:
    from ...domains.base import DomainData
    from ...environment import Environment

log = logging.getLogger(__name__)


class JudgeRuntime:
    """Dispatcher + judges for one run; close it at the end (or use `with`)."""

    def __init__(self, config: JudgeConfig | None = None, *, user_config: Any = None,
                 default_cache_dir: str | Path | None = None, completion: CompletionFn | None = None):
        self.config = config = config or JudgeConfig()
        config.validate()
        self.dispatcher: JudgeDispatcher | None = None
        self.client = None  # the shared LLMClient, when this runtime built it
        nl_kind, quality_kind = config.nl_judge_kind(), config.quality_judge_kind()
        if "llm" in (nl_kind, quality_kind):
            self.dispatcher = self._build_dispatcher(config, user_config, default_cache_dir, completion)
        params = {"temperature": config.temperature, "max_tokens": config.max_tokens}
        self.assertion_judge: AssertionJudge = (
            LLMAssertionJudge(self.dispatcher, fallback_score=config.fallback_score, params=params)
            if nl_kind == "llm" else HeuristicAssertionJudge())
        self.quality_judge: QualityJudge | None = None
        if quality_kind == "llm":
            self.quality_judge = LLMQualityJudge(self.dispatcher, fallback_score=config.fallback_score, params=params)
        elif quality_kind == "heuristic":
            self.quality_judge = HeuristicQualityJudge()
        log.info("judges: NL assertions %s, quality %s%s", nl_kind, quality_kind or "off",
                 f", model {config.model}, concurrency {config.max_concurrency}" if self.dispatcher else "")

    def _build_dispatcher(self, config: JudgeConfig, user_config: Any, default_cache_dir: str | Path | None,
                          completion: CompletionFn | None) -> JudgeDispatcher:
        assert config.model
        self.client = None
        if completion is None:
            from .client import make_judge_client

            self.client = make_judge_client(config, user_config)  # retries, timeouts, endpoints
            completion = self.client.complete
            log.info("judge endpoints: %s", self.client.describe_endpoints())
        cache_dir = config.cache_dir or default_cache_dir
        # The client bounds each call (its timeout per attempt, its retries); this is only a
        # last-resort bound on one whole call, so nothing can hang a training step.
        whole_call = config.timeout_s * (config.num_retries + 1) + 8.0 * config.num_retries + 30.0
        return JudgeDispatcher(completion, model=config.model, max_concurrency=config.max_concurrency,
                               cache=JudgeCache(cache_dir), attempt_timeout_s=whole_call)

    # -- the rollout engine's end hook ------------------------------------------------------
    def start(self, task: Task, domain: "DomainData", messages: list[Message], termination: TerminationReason, *,
              final_environment: "Environment | None" = None, completion_tokens: int | None = None,
              conversation_id: str = "") -> PendingConversationReward:
        """Local reward parts now; judge requests submitted; nothing waits on the network."""
        from ..evaluator import start_evaluation

        pending = start_evaluation(task, domain, messages, termination, judge=self.assertion_judge,
                                   final_environment=final_environment)
        if self.quality_judge is not None and TerminationReason(termination).is_normal:
            pending.quality = self.quality_judge.submit(task, messages)
        pending.completion_tokens = completion_tokens
        pending.conversation_id = conversation_id
        pending.judge_stats = self.stats
        return pending

    def on_conversation_end(self, conversation: Any) -> PendingConversationReward:
        """`RolloutEngine(on_conversation_end=runtime.on_conversation_end)`; the judge calls are charged
        to the conversation's `api_usage["judge"]` (agentcl.llm.usage)."""
        from ...llm.usage import charged_to

        usage = getattr(conversation, "api_usage", None)
        with charged_to(usage.setdefault("judge", {}) if isinstance(usage, dict) else None):
            return self.start(conversation.task, conversation.domain, conversation.messages,
                              conversation.termination_reason, final_environment=conversation.environment,
                              completion_tokens=len(conversation.completion_ids),
                              conversation_id=conversation.conversation_id)

    @property
    def stats(self):
        return self.dispatcher.stats if self.dispatcher is not None else None

    def close(self, timeout: float | None = 60.0) -> None:
        if self.dispatcher is not None:
            self.dispatcher.close(timeout)

    def __enter__(self) -> "JudgeRuntime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
