"""The τ²-bench task reward, computed locally, by τ²-bench's rules.

Components (each 0 or 1, multiplied over the task's `reward_basis`):
- DB: replay the gold actions on a fresh environment (errors ignored: some gold actions fail on
  purpose) and the conversation's tool calls on another; the agent and user DB hashes must match.
  A task with neither `actions` nor `env_assertions` (both unset) scores DB (and ENV_ASSERTION)
  1 without comparing, as τ²-bench does.
- ENV_ASSERTION: each assertion function, run on the conversation's final state, returns its
  `assert_value`. An assertion function that raises scores 0 (τ²-bench's evaluation raises
  instead: our one deliberate difference, listed in the README).
- ACTION: every gold action matches some tool call, whoever made it (name and the
  `compare_args` arguments; all the call's arguments when unset), as τ²-bench does.
- COMMUNICATE: every string appears, case-insensitively, in some agent message with text
  (whitespace-only text is ignored) with commas removed.
- NL_ASSERTION: a judge decides each assertion (an AssertionJudge; offline: the heuristic judge).
A conversation that ended any other way than a user or agent stop scores 0; a task without
criteria scores 1.

`start_evaluation` computes the local parts at once and only submits the NL assertions, so the
rollout engine can call it the moment a conversation ends and collect the result later: it returns
the conversation's `PendingConversationReward` (rewards/pending.py).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol

from ..data_model import (
    Check,
    EvaluationCriteria,
    Message,
    RewardInfo,
    RewardType,
    Task,
    TerminationReason,
    ToolCall,
)
from ..environment import Environment
from .pending import PendingConversationReward, all_met, combined_reward

if TYPE_CHECKING:
    from ..domains.base import DomainData


class AssertionJudgeLike(Protocol):
    def submit(self, task: Task, messages: list[Message], assertions: list[str]) -> "Future[list[Check]]": ...


# -- replay ----------------------------------------------------------------------------------
def fresh_environment(domain: "DomainData", task: Task) -> tuple[Environment, int]:
    """A new environment with the task's initial state; returns it and the history length."""
    env = domain.make_environment()
    history = env.set_state(task.initial_state)
    return env, len(history)


def replay_gold(domain: "DomainData", task: Task, *, as_conversation: bool = False) -> tuple[Environment, list[Message]]:
    """Run the gold actions; returns the environment and the tool results (errors included).

    As τ²-bench's evaluator does for the gold DB, the two sides are not synced after each gold
    action (in telecom this can leave a state, or errors, that a conversation doing the same
    calls would not have); `as_conversation` syncs after each call, as a conversation does."""
    env, _ = fresh_environment(domain, task)
    results = []
    for action in task.gold_actions:
        call = ToolCall(id=action.action_id or action.name, name=action.name, arguments=action.arguments,
                        requestor=action.requestor)
        results.append(env.get_response(call) if as_conversation else env.make_tool_call(call))
    return env, results


def conversation_tool_calls(messages: list[Message]) -> list[ToolCall]:
    """Every tool call in a conversation, tagged with who made it."""
    calls = []
    for m in messages:
        for call in m.tool_calls or []:
            requestor = "user" if m.role == "user" else "assistant"
            calls.append(call if call.requestor == requestor else call.model_copy(update={"requestor": requestor}))
    return calls


def replay_conversation(domain: "DomainData", task: Task, messages: list[Message]) -> Environment:
    """Rebuild the final state of a conversation from its tool calls (history already applied)."""
    env, history_len = fresh_environment(domain, task)
    for call in conversation_tool_calls(_after_history(task, messages, history_len)):
        env.get_response(call)
    return env


def _after_history(task: Task, messages: list[Message], history_len: int) -> list[Message]:
    """Drop the task's message_history from the front of `messages` if it is there (set_state replays it)."""
    history = task.initial_state.message_history if task.initial_state else None
    if history and len(messages) >= history_len and all(
        messages[i].role == history[i].role and messages[i].content == history[i].content
        for i in range(history_len)
    ):
        return messages[history_len:]
    return [m for m in messages if m.role != "system"]


def _gold_hashes(domain: "DomainData", task: Task) -> tuple[str, str | None]:
    """Gold replay is deterministic, so its hashes are computed once per task and domain."""
    cache = domain.__dict__.setdefault("_gold_hash_cache", {})
    if task.id not in cache:
        env, _ = replay_gold(domain, task)
        cache[task.id] = (env.agent_db_hash(), env.user_db_hash())
    return cache[task.id]


# -- components ------------------------------------------------------------------------------
def check_db(domain: "DomainData", task: Task, final_env: Environment) -> bool:
    gold_agent, gold_user = _gold_hashes(domain, task)
    return final_env.agent_db_hash() == gold_agent and final_env.user_db_hash() == gold_user


def check_env_assertions(criteria: EvaluationCriteria, final_env: Environment) -> list[Check]:
    checks = []
    for assertion in criteria.env_assertions or []:
        try:
            value = bool(final_env.run_function(assertion))
            met, detail = value == assertion.assert_value, f"returned {value}"
        except Exception as exc:  # a failing assertion function counts as not met
            met, detail = False, f"{type(exc).__name__}: {exc}"
        checks.append(Check(name=f"{assertion.env_type}:{assertion.func_name}({assertion.arguments})",
                            met=met, detail=assertion.message or detail))
    return checks


def check_actions(criteria: EvaluationCriteria, messages: list[Message]) -> list[Check]:
    calls = conversation_tool_calls(messages)
    checks = []
    for action in criteria.actions or []:
        met = any(action.matches(c.name, c.arguments) for c in calls)  # any requestor, as τ²-bench
        checks.append(Check(name=action.action_id or action.name, met=met,
                            detail=f"{action.name}({action.arguments})"))
    return checks


def check_communicate(criteria: EvaluationCriteria, messages: list[Message]) -> list[Check]:
    said = [m.content.lower().replace(",", "") for m in messages
            if m.role == "assistant" and m.content is not None and m.content.strip()]
    return [Check(name=info, met=any(info.lower() in text for text in said)) for info in criteria.communicate_info or []]


# -- evaluation ------------------------------------------------------------------------------
def start_evaluation(
    task: Task,
    domain: "DomainData",
    messages: list[Message],
    termination: TerminationReason,
    *,
    judge: AssertionJudgeLike | None = None,
    final_environment: Environment | None = None,
    skip_nl: bool = False,
) -> PendingConversationReward:
    """Compute the local reward components now; submit NL assertions to `judge`.

    `final_environment` is the conversation's own live environment when the caller has it (the
    rollout engine does); otherwise the conversation's tool calls are replayed on a fresh one.
    `skip_nl` leaves NL assertions out of the reward (for data checks that must not call a judge).
    """
    criteria = task.evaluation_criteria
    if not TerminationReason(termination).is_normal:
        return PendingConversationReward(RewardInfo(reward=0.0, info={"note": f"conversation ended by {termination}"}))
    if criteria is None:
        return PendingConversationReward(RewardInfo(reward=1.0, info={"note": "task has no evaluation criteria"}))
    basis = list(criteria.reward_basis)
    info = RewardInfo(reward=0.0, reward_basis=basis)
    if criteria.actions is None and criteria.env_assertions is None:  # τ²-bench: nothing to compare
        if RewardType.DB in basis:
            info.db_match = True
            info.reward_breakdown[RewardType.DB] = 1.0
        if RewardType.ENV_ASSERTION in basis:
            info.reward_breakdown[RewardType.ENV_ASSERTION] = 1.0
        info.info["note"] = "no expected actions or env assertions: DB scored 1 without comparing"
        compared = ()
    else:
        compared = tuple(c for c in (RewardType.DB, RewardType.ENV_ASSERTION) if c in basis)
    needs_env = bool(compared)
    env = final_environment if final_environment is not None else (
        replay_conversation(domain, task, messages) if needs_env else None)
    if RewardType.DB in compared:
        info.db_match = check_db(domain, task, env)
        info.reward_breakdown[RewardType.DB] = 1.0 if info.db_match else 0.0
    if RewardType.ENV_ASSERTION in compared:
        info.env_assertion_checks = check_env_assertions(criteria, env)
        info.reward_breakdown[RewardType.ENV_ASSERTION] = all_met(info.env_assertion_checks)
    if RewardType.ACTION in basis:
        info.action_checks = check_actions(criteria, messages)
        info.reward_breakdown[RewardType.ACTION] = all_met(info.action_checks)
    if RewardType.COMMUNICATE in basis:
        info.communicate_checks = check_communicate(criteria, messages)
        info.reward_breakdown[RewardType.COMMUNICATE] = all_met(info.communicate_checks)
    pending = PendingConversationReward(info)
    if RewardType.NL_ASSERTION in basis and criteria.nl_assertions and not skip_nl:
        if judge is None:
            from .judge.judges import HeuristicAssertionJudge

            judge = HeuristicAssertionJudge()
        pending.nl_future = judge.submit(task, messages, list(criteria.nl_assertions))
    else:
        if RewardType.NL_ASSERTION in basis:
            info.reward_breakdown[RewardType.NL_ASSERTION] = 1.0
        info.reward = combined_reward(info)
    return pending


def evaluate_run(
    task: Task,
    domain: "DomainData",
    messages: list[Message],
    termination: TerminationReason,
    *,
    judge: AssertionJudgeLike | None = None,
    final_environment: Environment | None = None,
) -> RewardInfo:
    """The task reward of one finished conversation (blocks on the judge if NL assertions count)."""
    return start_evaluation(task, domain, messages, termination, judge=judge,
                            final_environment=final_environment).reward_info()
