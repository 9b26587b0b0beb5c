"""Judges: NL assertions (met or not, with a reason) and conversation quality (a 0-1 score).

Every judge returns a `concurrent.futures.Future` at once, so the rollout engine can submit the
moment a conversation ends and the reward function collect later:
- `HeuristicAssertionJudge` / `HeuristicQualityJudge`: offline and deterministic (see
  heuristic_judge.py); their futures are already resolved.
- `LLMAssertionJudge` / `LLMQualityJudge`: one chat request per conversation through a
  `JudgeDispatcher` (concurrency cap, cache, retries, fallback on failure).

A judge that fails for good yields the fallback: for assertions, every assertion is met iff
`fallback_score >= 0.5`, with `fallback=True` on the Check and the reason in its detail; for
quality, `fallback_score` itself.
"""

from __future__ import annotations

import concurrent.futures
from abc import ABC, abstractmethod
from typing import Any

from ...data_model import Check, Message, Task
from .dispatcher import JudgeDispatcher, JudgeRequest
from .heuristic import agent_texts, assess_assertion, quality_score
from .parsing import parse_assertion_verdicts, parse_quality_score
from .prompts import assertion_prompt, quality_prompt

Future = concurrent.futures.Future


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _check_inputs(messages: list[Message], assertions: list[str] | None = None) -> None:
    if not isinstance(messages, list):
        raise TypeError(f"messages must be a list of Message, got {type(messages).__name__}")
    if assertions is not None and (not isinstance(assertions, list)
                                   or not all(isinstance(a, str) for a in assertions)):
        raise TypeError("assertions must be a list of strings")


class AssertionJudge(ABC):
    """Decides natural-language assertions about one conversation."""

    name: str = "assertion-judge"

    @abstractmethod
    def submit(self, task: Task, messages: list[Message], assertions: list[str]) -> "Future[list[Check]]":
        """One Check(name=assertion, met, detail=reason) per assertion, in order."""

    def close(self) -> None:
        """Release what the judge holds (the dispatcher is closed by its owner)."""


class QualityJudge(ABC):
    """Scores one conversation from 0 (useless) to 1 (excellent)."""

    name: str = "quality-judge"

    @abstractmethod
    def submit(self, task: Task, messages: list[Message]) -> "Future[float]":
        """The score, in [0, 1]."""

    def close(self) -> None:
        pass


# -- offline ----------------------------------------------------------------------------------
class HeuristicAssertionJudge(AssertionJudge):
    name = "heuristic"

    def submit(self, task: Task, messages: list[Message], assertions: list[str]) -> "Future[list[Check]]":
        _check_inputs(messages, assertions)
        texts = agent_texts(messages)
        checks = []
        for assertion in assertions:
            met, reason = assess_assertion(assertion, texts)
            checks.append(Check(name=assertion, met=met, detail=reason))
        return _done(checks)


class HeuristicQualityJudge(QualityJudge):
    name = "heuristic"

    def submit(self, task: Task, messages: list[Message]) -> "Future[float]":
        _check_inputs(messages)
        return _done(quality_score(messages)[0])


# -- LLM, through the dispatcher ------------------------------------------------------------
class LLMAssertionJudge(AssertionJudge):
    """All of a conversation's assertions in one request; the model answers JSON per assertion."""

    name = "llm"

    def __init__(self, dispatcher: JudgeDispatcher, *, fallback_score: float = 0.0,
                 params: dict[str, Any] | None = None):
        self.dispatcher = dispatcher
        self.fallback_met = fallback_score >= 0.5
        self.params = dict(params or {})

    def request(self, task: Task | None, messages: list[Message], assertions: list[str]) -> JudgeRequest[list[Check]]:
        _check_inputs(messages, assertions)

        def parse(text: str) -> list[Check]:
            verdicts = parse_assertion_verdicts(text, assertions)
            return [Check(name=a, met=met, detail=reason or None) for a, (met, reason) in zip(assertions, verdicts)]

        def fallback(reason: str) -> list[Check]:
            return [Check(name=a, met=self.fallback_met, detail=f"judge failed ({reason}); fallback used",
                          fallback=True) for a in assertions]

        return JudgeRequest(messages=assertion_prompt(task, messages, assertions), parse=parse, fallback=fallback,
                            params=self.params, kind="nl_assertions")

    def submit(self, task: Task, messages: list[Message], assertions: list[str]) -> "Future[list[Check]]":
        if not assertions:
            return _done([])
        return self.dispatcher.submit(self.request(task, messages, assertions))


class LLMQualityJudge(QualityJudge):
    name = "llm"

    def __init__(self, dispatcher: JudgeDispatcher, *, fallback_score: float = 0.0,
                 params: dict[str, Any] | None = None):
        self.dispatcher = dispatcher
        self.fallback_score = float(fallback_score)
        self.params = dict(params or {})

    def request(self, task: Task | None, messages: list[Message]) -> JudgeRequest[float]:
        _check_inputs(messages)
        return JudgeRequest(messages=quality_prompt(task, messages),
                            parse=lambda text: parse_quality_score(text)[0],
                            fallback=lambda reason: self.fallback_score,
                            params=self.params, kind="quality")

    def submit(self, task: Task, messages: list[Message]) -> "Future[float]":
        return self.dispatcher.submit(self.request(task, messages))
