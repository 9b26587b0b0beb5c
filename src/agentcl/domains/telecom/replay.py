"""Replay a telecom task on in-memory data and check that its gold fix really fixes it.

Used by the generator (every generated task is verified before it is written) and by the tests
(on τ²-bench's reference tasks as well). A fixable task must be broken at the start, still broken
just before its last gold action, broken whenever the fix of any one of its faults is left out,
and fixed after all gold actions. A transfer task's env assertions must hold after its gold
actions while the phone still has no service.
"""

from __future__ import annotations

from typing import Any, Iterable

from ...data_model import Action, Task, ToolCall
from ...environment import Database, Environment
from .sync import sync
from .tools import TelecomAgentTools
from .user_tools import TelecomUserTools


def make_environment(db: dict[str, Any], user_db: dict[str, Any], policy: str = "") -> Environment:
    return Environment("telecom", policy, TelecomAgentTools(Database(db).copy()),
                       TelecomUserTools(Database(user_db).copy()), sync)


def replay(task: Task, db: dict[str, Any], user_db: dict[str, Any], actions: Iterable[Action]) -> Environment:
    """The environment after the task's initial state and then `actions` (errors are kept in the tool results)."""
    env = make_environment(db, user_db)
    env.set_state(task.initial_state)
    for action in actions:
        env.get_response(ToolCall(id=action.action_id or action.name, name=action.name,
                                  arguments=action.arguments, requestor=action.requestor))
    return env


def assertion_results(task: Task, env: Environment) -> list[bool]:
    """Whether each env assertion of the task returns its assert_value (a raising assertion fails)."""
    results = []
    for assertion in (task.evaluation_criteria.env_assertions or []) if task.evaluation_criteria else []:
        try:
            results.append(bool(env.run_function(assertion)) == assertion.assert_value)
        except Exception:
            results.append(False)
    return results


def is_fixed(task: Task, env: Environment) -> bool:
    results = assertion_results(task, env)
    return bool(results) and all(results)


def is_transfer_task(task: Task) -> bool:
    return any(a.name == "transfer_to_human_agents" for a in task.gold_actions)


def verify_task(task: Task, db: dict[str, Any], user_db: dict[str, Any],
                fault_fixes: dict[str, list[int]] | None = None) -> list[str]:
    """Problems with a task's gold fix (empty: verified). `fault_fixes` maps each fault to the
    indices of the gold actions that fix it, to prove every fault's fix is needed."""
    gold = task.gold_actions
    problems = []
    if not is_fixed(task, replay(task, db, user_db, gold)):
        problems.append("env assertions fail after the gold actions")
    if is_transfer_task(task):
        final = replay(task, db, user_db, gold).user_tools.data["device"]
        if final["network_connection_status"] == "connected":
            problems.append("a transfer task has service after its gold actions (nothing left for a human)")
        return problems
    if is_fixed(task, replay(task, db, user_db, [])):
        problems.append("the task is already fixed before any action")
    if gold and is_fixed(task, replay(task, db, user_db, gold[:-1])):
        problems.append("the task is fixed before its last gold action")
    for fault, indices in (fault_fixes or {}).items():
        skipped = set(indices)
        if is_fixed(task, replay(task, db, user_db, [a for i, a in enumerate(gold) if i not in skipped])):
            problems.append(f"the fix of fault {fault!r} is not needed")
    return problems
