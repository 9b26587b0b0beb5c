"""Results in τ²-bench's format, both ways.

- `runs_from_tau2(document)`: the conversations of a results file written by `tau2 run`
  (`Results.save`) as our `SimulationRun`s. τ²-bench keeps the domain once, in
  `info.environment_info.domain_name`, and its reward checks in other shapes (`db_check`,
  `action_checks` of `{action, action_match}`, ...); rewards are kept as τ²-bench computed
  them. Each run is labelled as a zero-shot evaluation of its domain (phase `zero_shot`, stage =
  domain), so `report` computes its pass^k like any evaluation; τ²-bench's own id is kept in
  `extra["tau2_id"]`.
- `tau2_document(runs, ...)`: one τ²-format results document (one domain) from our runs, valid
  against τ²-bench's `Results` schema: the `info` fields it requires, the tasks, and per run
  `start_time` / `end_time` / `duration` (agentcl does not time single conversations yet: when a
  run has no times, the results' write time and a duration of 0 are written).
  Endings τ²-bench does not know are mapped: `max_tokens` -> `context_window_exceeded`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..data_model import Check, Message, RewardInfo, SimulationRun, Task, TerminationReason
from .metrics import ZERO_SHOT_PHASE, label_run

TAU2_TERMINATION = {TerminationReason.MAX_TOKENS: "context_window_exceeded"}


def is_tau2_results(document: Any) -> bool:
    """A τ²-bench results document: its info names the environment; ours has a `format` key."""
    info = document.get("info") if isinstance(document, Mapping) else None
    return isinstance(info, Mapping) and "environment_info" in info and "format" not in document


# --- import ---------------------------------------------------------------------------------

def _checks(items: Any, name_key: str, met_key: str = "met") -> list[Check]:
    out = []
    for item in items or []:
        if not isinstance(item, Mapping):
            continue
        name = item.get(name_key)
        if isinstance(name, Mapping):  # an action or env assertion: name it by its function
            name = name.get("action_id") or name.get("name") or name.get("func_name")
        out.append(Check(name=str(name), met=bool(item.get(met_key)), detail=item.get("justification")))
    return out


def reward_info_from_tau2(raw: Mapping[str, Any] | None) -> RewardInfo | None:
    if raw is None:
        return None
    db = raw.get("db_check") or {}
    return RewardInfo(
        reward=float(raw["reward"]),
        reward_basis=list(raw.get("reward_basis") or []),
        reward_breakdown=dict(raw.get("reward_breakdown") or {}),
        db_match=db.get("db_match"),
        action_checks=_checks(raw.get("action_checks"), "action", "action_match"),
        env_assertion_checks=_checks(raw.get("env_assertions"), "env_assertion"),
        communicate_checks=_checks(raw.get("communicate_checks"), "info"),
        nl_assertion_checks=_checks(raw.get("nl_assertions"), "nl_assertion"),
        info=dict(raw.get("info") or {}),
    )


def runs_from_tau2(document: Mapping[str, Any]) -> list[SimulationRun]:
    """Our runs from a τ²-bench results document (raises KeyError/ValueError on a bad one)."""
    domain = document["info"]["environment_info"]["domain_name"]
    runs = []
    for sim in document.get("simulations") or []:
        messages = [Message.model_validate(m) for m in sim.get("messages") or []]
        run = SimulationRun(
            id=str(sim["id"]), task_id=str(sim["task_id"]), domain=domain, trial=int(sim.get("trial") or 0),
            seed=sim.get("seed"), messages=messages, termination_reason=TerminationReason(sim["termination_reason"]),
            reward_info=reward_info_from_tau2(sim.get("reward_info")),
            start_time=sim.get("start_time"), end_time=sim.get("end_time"), duration=sim.get("duration"),
            extra={"tau2_id": sim["id"]},
        )
        runs.append(label_run(run, phase=ZERO_SHOT_PHASE, stage=domain))
    return runs


# --- export ---------------------------------------------------------------------------------

def _action_check(check: Check, task: Task | None) -> dict[str, Any]:
    actions = {a.action_id or a.name: a for a in (task.gold_actions if task else [])}
    action = actions.get(check.name)
    dumped = action.model_dump(mode="json") if action else {"action_id": check.name, "name": check.name, "arguments": {}}
    return {"action": dumped, "action_match": check.met, "action_reward": 1.0 if check.met else 0.0}


def _env_assertion_check(check: Check, index: int, task: Task | None) -> dict[str, Any]:
    criteria = task.evaluation_criteria if task else None
    assertions = list(criteria.env_assertions or []) if criteria else []
    assertion = assertions[index].model_dump(mode="json") if index < len(assertions) else {
        "env_type": "assistant", "func_name": check.name, "arguments": {}}
    return {"env_assertion": assertion, "met": check.met, "reward": 1.0 if check.met else 0.0}


def reward_info_to_tau2(info: RewardInfo | None, task: Task | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "reward": info.reward,
        "db_check": None if info.db_match is None else {"db_match": info.db_match,
                                                        "db_reward": 1.0 if info.db_match else 0.0},
        "env_assertions": [_env_assertion_check(c, i, task) for i, c in enumerate(info.env_assertion_checks)] or None,
        "action_checks": [_action_check(c, task) for c in info.action_checks] or None,
        "nl_assertions": [{"nl_assertion": c.name, "met": c.met, "justification": c.detail or ""}
                          for c in info.nl_assertion_checks] or None,
        "communicate_checks": [{"info": c.name, "met": c.met, "justification": c.detail or ""}
                               for c in info.communicate_checks] or None,
        "reward_basis": [str(getattr(b, "value", b)) for b in info.reward_basis] or None,
        "reward_breakdown": {str(getattr(k, "value", k)): v for k, v in info.reward_breakdown.items()} or None,
        "info": dict(info.info) or None,
    }


def _message_to_tau2(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"id": message.id or "", "role": "tool", "content": message.content,
                "requestor": message.requestor, "error": message.error, "turn_idx": message.turn_idx}
    out: dict[str, Any] = {"role": message.role, "content": message.content, "turn_idx": message.turn_idx}
    if message.role in ("assistant", "user"):
        out["tool_calls"] = [c.model_dump(mode="json") for c in message.tool_calls] if message.tool_calls else None
    return out


def run_to_tau2(run: SimulationRun, task: Task | None, written_at: str) -> dict[str, Any]:
    reason = TerminationReason(run.termination_reason)
    return {
        "id": run.id,
        "task_id": run.task_id,
        "timestamp": run.end_time or written_at,
        "start_time": run.start_time or written_at,
        "end_time": run.end_time or written_at,
        "duration": float(run.duration or 0.0),
        "termination_reason": TAU2_TERMINATION.get(reason, reason.value),
        "reward_info": reward_info_to_tau2(run.reward_info, task),
        "messages": [_message_to_tau2(m) for m in run.messages],
        "trial": run.trial,
        "seed": run.seed,
        "info": {"agentcl": {"extra": run.extra, "termination_reason": reason.value}},
    }


def tau2_document(
    runs: Sequence[SimulationRun],
    *,
    domain: str,
    policy: str,
    tasks: Sequence[Task],
    written_at: str,
    git_commit: str = "",
    num_trials: int | None = None,
    max_steps: int = 0,
    max_errors: int = 0,
    agent: Mapping[str, Any] | None = None,
    user: Mapping[str, Any] | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """One domain's runs as a τ²-bench `Results` document."""
    foreign = sorted({r.domain for r in runs} - {domain})
    if foreign:
        raise ValueError(f"a τ²-bench results file holds one domain ({domain}); runs of {foreign} given")
    by_id = {t.id: t for t in tasks}
    trials = num_trials if num_trials is not None else max((r.trial + 1 for r in runs), default=1)
    agent, user = dict(agent or {}), dict(user or {})
    return {
        "timestamp": written_at,
        "info": {
            "git_commit": git_commit,
            "num_trials": trials,
            "max_steps": max_steps,
            "max_errors": max_errors,
            "user_info": {"implementation": str(user.pop("implementation", "agentcl_user_simulator")),
                          "llm": user.pop("llm", None), "llm_args": user or None},
            "agent_info": {"implementation": str(agent.pop("implementation", "agentcl_policy")),
                           "llm": agent.pop("llm", None), "llm_args": agent or None},
            "environment_info": {"domain_name": domain, "policy": policy, "tool_defs": None},
            "seed": seed,
        },
        "tasks": [t.model_dump(mode="json", exclude_none=True) for t in tasks if t.id in {r.task_id for r in runs}],
        "simulations": [run_to_tau2(r, by_id.get(r.task_id), written_at) for r in runs],
    }


__all__ = ["is_tau2_results", "reward_info_from_tau2", "reward_info_to_tau2", "run_to_tau2", "runs_from_tau2",
           "tau2_document"]
