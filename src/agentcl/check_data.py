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
from typing import Any, Collection, Mapping, Sequence

from rich.console import Console
from rich.table import Table

from .data_model import Message, RewardInfo, RewardType, Task, TerminationReason, ToolCall
from .domains.base import DomainData, DomainSpec
from .domains.generation import GeneratedTask, Verifier
from .environment import Database, Environment
from .registry import DOMAINS, load_domain
from .rewards.evaluator import fresh_environment, replay_gold, start_evaluation

LOCAL_COMPONENTS = (RewardType.DB, RewardType.ENV_ASSERTION, RewardType.ACTION, RewardType.COMMUNICATE)


def gold_conversation(task: Task, skip: Collection[int] = ()) -> list[Message]:
    """A conversation in which the agent does exactly the gold actions (but those at the `skip`
    indices) and says the info to say."""
    messages = [Message(role="user", content="Hello, I need help.")]
    for i, action in enumerate(task.gold_actions):
        if i in skip:
            continue
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


def _local_reward(task: Task, domain: DomainData, messages: list[Message],
                  final_environment: Environment | None = None) -> tuple[float, dict[str, float]]:
    return _reward_of(start_evaluation(task, domain, messages, TerminationReason.USER_STOP,
                                       final_environment=final_environment, skip_nl=True).info)


def _reward_of(info: RewardInfo) -> tuple[float, dict[str, float]]:
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


def _data_of(env) -> tuple[Any, Any]:
    return env.agent_tools.db.data, env.user_tools.db.data if env.user_tools is not None else None


def check_task(task: Task, domain: DomainData, strict: bool = False, *, writes: bool | None = None,
               needed: Mapping[str, Sequence[int]] | None = None) -> TaskCheck:
    """Check one task; the one verifier of tasks, for `check-data` and for every generator.

    `writes` (a generator knows it from the task's family): whether the gold actions must change
    the databases. `needed`: named groups of gold-action indices, each of which the task cannot do
    without (the gold conversation with that group left out must not score 1).
    """
    result = TaskCheck(task.id)
    start_env, _ = fresh_environment(domain, task)
    gold_env, tool_results = replay_gold(domain, task, as_conversation=True)  # errors as a conversation meets them
    result.gold_errors = [f"{a.name}: {m.content}" for a, m in zip(task.gold_actions, tool_results) if m.error]
    result.gold_writes = _data_of(gold_env) != _data_of(start_env)  # plain equality: much cheaper than hashing
    # The gold conversation makes exactly the gold calls, so its final state is the gold replay's.
    _, result.gold_score = _local_reward(task, domain, gold_conversation(task), gold_env)
    counted = {k: v for k, v in result.gold_score.items()
               if k != RewardType.ENV_ASSERTION.value or env_assertions_reachable(task)}
    if any(v < 1.0 for v in counted.values()):
        result.problems.append(f"gold conversation scores {counted}")
    elif counted != result.gold_score:
        result.notes.append("env assertions depend on steps outside the gold actions (not counted)")
    if strict and result.gold_errors:
        result.problems.append("gold replay errors: " + "; ".join(result.gold_errors))
    if writes is not None and writes != result.gold_writes:
        result.problems.append(f"the gold actions {'change' if result.gold_writes else 'do not change'} the "
                               f"database although the task {'writes' if writes else 'only reads'}")
    nothing = start_evaluation(task, domain, do_nothing_conversation(), TerminationReason.USER_STOP,
                               final_environment=start_env, skip_nl=True).info
    needs_fix = result.gold_writes or any(not c.met for c in nothing.env_assertion_checks)
    result.nothing_score = _reward_of(nothing)[0]
    if needs_fix and result.nothing_score != 0.0:
        result.problems.append(f"do-nothing conversation scores {result.nothing_score} although the task needs a change")
    for name, indices in (needed or {}).items():
        left_out = set(indices)
        if _local_reward(task, domain, gold_conversation(task, skip=left_out))[0] >= 1.0:
            result.problems.append(f"the gold actions of {name!r} are not needed: the task is solved without them")
    return result


def verify_generated(spec: DomainSpec) -> Verifier:
    """The verifier a generator calls on its tasks before anything is written: `check_task`,
    strict (no gold action may fail), with each task's family saying whether it writes and which
    groups of gold actions it cannot do without. Returns the problems of each failing task."""

    def verify(db: dict[str, Any], tasks: Sequence[GeneratedTask],
               user_db: dict[str, Any] | None = None) -> dict[str, list[str]]:
        data = DomainData(spec, Path(f"<generated {spec.name} data>"), Database(db),
                          Database(user_db) if user_db is not None else None, "",
                          [Task.model_validate(t.task) for t in tasks])
        problems = {}
        for generated, task in zip(tasks, data.tasks):
            result = check_task(task, data, strict=True, writes=generated.family.writes, needed=generated.needed)
            if not result.ok:
                problems[task.id] = result.problems
        return problems

    return verify


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
