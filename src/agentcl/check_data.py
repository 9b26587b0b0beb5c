"""`agentcl check-data`: load a τ²-format directory and prove every task is well formed.

For each task: the gold actions replay (errors reported; some τ²-bench gold actions fail on
purpose), a synthetic conversation made of the gold actions plus an agent message carrying the
task's communicate_info scores 1.0 on DB / ENV_ASSERTION / ACTION / COMMUNICATE, and a do-nothing
conversation scores 0 whenever the gold actions change the database.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .data_model import Message, RewardType, Task, TerminationReason, ToolCall
from .domains.base import DomainData
from .registry import DOMAINS, load_domain
from .rewards.evaluator import fresh_environment, replay_gold, start_evaluation

LOCAL_COMPONENTS = (RewardType.DB, RewardType.ENV_ASSERTION, RewardType.ACTION, RewardType.COMMUNICATE)


def gold_conversation(task: Task) -> list[Message]:
    """A conversation in which the agent does exactly the gold actions and says the info to say."""
    messages = [Message(role="user", content="Hello, I need help.")]
    for i, action in enumerate(task.gold_actions):
        call = ToolCall(id=f"gold_{i}", name=action.name, arguments=action.arguments, requestor=action.requestor)
        role = "user" if action.requestor == "user" else "assistant"
        messages.append(Message(role=role, content=None, tool_calls=[call]))
        messages.append(Message(role="tool", id=call.id, content="", requestor=action.requestor))
    info = task.evaluation_criteria.communicate_info if task.evaluation_criteria else None
    messages.append(Message(role="assistant", content=" ".join(info or []) or "Done."))
    messages.append(Message(role="user", content="Thanks. ###STOP###"))
    return messages


def do_nothing_conversation() -> list[Message]:
    return [Message(role="user", content="Hello, I need help."),
            Message(role="assistant", content="Sorry, I cannot help with that."),
            Message(role="user", content="Bye. ###STOP###")]


@dataclass
class TaskCheck:
    task_id: str
    gold_errors: list[str] = field(default_factory=list)
    gold_writes: bool = False
    gold_score: dict[str, float] = field(default_factory=dict)
    nothing_score: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _local_reward(task: Task, domain: DomainData, messages: list[Message]) -> tuple[float, dict[str, float]]:
    info = start_evaluation(task, domain, messages, TerminationReason.USER_STOP, skip_nl=True).info
    parts = {k.value: v for k, v in info.reward_breakdown.items() if k in LOCAL_COMPONENTS}
    reward = 1.0
    for value in parts.values():
        reward *= value
    return reward, parts


def env_assertions_reachable(task: Task) -> bool:
    """Gold actions can only be held to the env assertions of the sides they act on.

    (τ²-bench's mock tasks assert on states that no gold action produces, e.g. a notification the
    user dismisses; dual-control telecom tasks list the user's fixes as gold actions.)
    """
    sides = {a.requestor for a in task.gold_actions}
    criteria = task.evaluation_criteria
    asserted = {("user" if a.env_type == "user" else "assistant") for a in (criteria.env_assertions or [])} if criteria else set()
    return asserted <= sides


def check_task(task: Task, domain: DomainData, strict: bool = False) -> TaskCheck:
    result = TaskCheck(task.id)
    start_env, _ = fresh_environment(domain, task)
    gold_env, tool_results = replay_gold(domain, task, as_conversation=True)  # errors as a conversation meets them
    result.gold_errors = [f"{a.name}: {m.content}" for a, m in zip(task.gold_actions, tool_results) if m.error]
    result.gold_writes = (gold_env.agent_db_hash(), gold_env.user_db_hash()) != (
        start_env.agent_db_hash(), start_env.user_db_hash())
    _, result.gold_score = _local_reward(task, domain, gold_conversation(task))
    counted = {k: v for k, v in result.gold_score.items()
               if k != RewardType.ENV_ASSERTION.value or env_assertions_reachable(task)}
    if any(v < 1.0 for v in counted.values()):
        result.problems.append(f"gold conversation scores {counted}")
    elif counted != result.gold_score:
        result.notes.append("env assertions depend on steps outside the gold actions (not counted)")
    if strict and result.gold_errors:
        result.problems.append("gold replay errors: " + "; ".join(result.gold_errors))
    needs_fix = result.gold_writes or any(
        not c.met for c in start_evaluation(task, domain, do_nothing_conversation(), TerminationReason.USER_STOP,
                                            skip_nl=True).info.env_assertion_checks)
    result.nothing_score, _ = _local_reward(task, domain, do_nothing_conversation())
    if needs_fix and result.nothing_score != 0.0:
        result.problems.append(f"do-nothing conversation scores {result.nothing_score} although the task needs a change")
    return result


def check_domain(domain: DomainData, strict: bool = False, console: Console | None = None) -> list[TaskCheck]:
    console = console or Console()
    results = []
    with console.status(f"checking {domain.name}…"):
        for task in domain.tasks:
            results.append(check_task(task, domain, strict))
    table = Table(title=f"{domain.name}: {domain.directory}", show_lines=False)
    for col in ("task", "status", "writes", "gold", "do-nothing", "notes"):
        table.add_column(col, overflow="fold")
    for r in results:
        notes = "; ".join(r.problems + r.notes + [f"gold error (ignored): {e}" for e in r.gold_errors])
        table.add_row(r.task_id, "[green]ok[/]" if r.ok else "[red]FAIL[/]", "yes" if r.gold_writes else "no",
                      " ".join(f"{k}={v:g}" for k, v in r.gold_score.items()) or "-",
                      f"{r.nothing_score:g}", notes[:300])
    console.print(table)
    failed = sum(not r.ok for r in results)
    console.print(f"{domain.name}: {len(results)} tasks, {len(results) - failed} ok, {failed} failed, "
                  f"{sum(bool(r.gold_errors) for r in results)} with gold-replay errors, "
                  f"{sum(r.gold_writes for r in results)} write tasks")
    return results


def domains_in(data_dir: str | None) -> list[str]:
    """Domains present in `data_dir` (or all built-ins for the default data)."""
    if data_dir is None:
        return DOMAINS.names()
    root = Path(data_dir)
    if not root.is_dir():
        from .errors import DataError

        raise DataError("data directory does not exist", path=root)
    found = [n for n in DOMAINS.names() if (root / n).is_dir()]
    return found or DOMAINS.names()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentcl check-data", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="τ²-format directory (default: the generated data shipped with agentcl)")
    parser.add_argument("--domain", action="append", help="domain(s) to check (default: every domain found)")
    parser.add_argument("--strict", action="store_true", help="also fail on gold actions that return errors")
    args = parser.parse_args(argv)
    console = Console()
    names = args.domain or domains_in(args.data_dir)
    failed = 0
    for name in names:
        domain = load_domain(name, args.data_dir)
        if not domain.tasks:  # nothing checked is not a pass
            from .errors import DataError

            raise DataError(f"domain {name!r} has no tasks to check", path=domain.task_file)
        failed += sum(not r.ok for r in check_domain(domain, args.strict, console))
    if failed:
        console.print(f"[red]{failed} task(s) failed[/]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
