"""The demo's data: freshly generated domains, cut down to a few easy kinds of task.

For each domain: generate `num_tasks` tasks with the domain's own generator (its train/test split
kept), drop the tasks an agent passes without solving them (declining is enough, or the fact to
communicate is a digit), optionally keep the tasks whose gold
solution fits the run's limits (`solvable`), group
them by their gold solution (the sequence of gold tool names), rank the groups by how much the
agent must get exactly right (number of gold calls and the size of the compared arguments), and
keep the easiest `task_groups` groups present in both splits. From those:

- `warmstart`: tasks of the generated train split, for the supervised warm start;
- `train`: a few of them, round-robin over the kept groups, for GRPO;
- `test`: a few tasks of the generated test split (never seen in training), for evaluation.

The selection is written into the domain folder's split_tasks.json, so the curriculum reads it
through `--data-dir` like any τ²-format data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..data_model import Task
from ..errors import DataError

if TYPE_CHECKING:
    from ..domains.base import DomainData

# (domain data, tasks) -> ids of the tasks whose gold solution fits the run's limits
SolvableFn = Callable[["DomainData", list[Task]], set[str]]

SELECTION_FILE = "demo_selection.json"


def gold_signature(task: Task) -> tuple[str, ...]:
    return tuple(f"{a.requestor}:{a.name}" for a in task.gold_actions)


def gold_effort(task: Task) -> float:
    """How much the agent must get exactly right: one per gold call, plus the size (per 50
    characters) of the arguments the evaluator compares (`compare_args`; all when unset)."""
    effort = 0.0
    for action in task.gold_actions:
        keys = action.arguments.keys() if action.compare_args is None else action.compare_args
        compared = {k: action.arguments.get(k) for k in keys}
        effort += 1.0 + len(json.dumps(compared, sort_keys=True)) / 50.0
    return effort


def easiest_groups(tasks: Sequence[Task], count: int, min_size: int = 1) -> list[tuple[str, ...]]:
    """The `count` gold-solution groups of least mean effort among those with >= `min_size` tasks
    (the size bar is halved until `count` groups reach it)."""
    groups: dict[tuple[str, ...], list[Task]] = {}
    for task in tasks:
        groups.setdefault(gold_signature(task), []).append(task)
    while min_size > 1 and sum(len(members) >= min_size for members in groups.values()) < count:
        min_size //= 2
    big_enough = [g for g in groups if len(groups[g]) >= min_size]
    ranked = sorted(big_enough, key=lambda g: (sum(map(gold_effort, groups[g])) / len(groups[g]), -len(groups[g]), g))
    return ranked[:count]


def round_robin(tasks: Sequence[Task], groups: Sequence[tuple[str, ...]], limit: int) -> list[Task]:
    """Up to `limit` tasks taking one of each group in turn (variety over the kept kinds)."""
    queues = [[t for t in tasks if gold_signature(t) == g] for g in groups]
    out: list[Task] = []
    while len(out) < limit and any(queues):
        for queue in queues:
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out


def do_nothing_reward(task: Task, data: "DomainData") -> float:
    """The reward of a conversation where the agent only declines (no tool call): 1.0 for tasks that
    need no action at all (a refusal that leaves the database as the gold solution does)."""
    from ..data_model import Message, TerminationReason
    from ..rewards.evaluator import evaluate_run

    messages = [Message(role="user", content="Hi, I need some help."),
                Message(role="assistant", content="Sorry, I cannot help with that.")]
    return evaluate_run(task, data, messages, TerminationReason.USER_STOP).reward


def passes_without_skill(task: Task, data: "DomainData") -> bool:
    """Could an agent pass this task without solving it? Either declining is enough, or a fact to
    communicate is so short (a digit, "no") that random text contains it by chance."""
    criteria = task.evaluation_criteria
    if criteria is not None and any(len(str(info).strip()) < 3 for info in criteria.communicate_info or []):
        return True
    return do_nothing_reward(task, data) >= 1.0


@dataclass
class DemoDomain:
    domain: str
    data_dir: Path
    groups: list[tuple[str, ...]]
    train: list[str]
    test: list[str]
    warmstart: list[str]
    counts: dict[str, int] = field(default_factory=dict)


def shorten_policy(text: str, sections: int) -> str:
    """The policy's title and opening text plus its first `sections` '## ' sections.

    The agent reads the policy in every prompt; on a CPU the prompt length is most of the cost of
    a conversation, so the demo keeps the opening of the policy (the rest still binds the tasks'
    gold solutions, which were generated under the full policy).
    """
    lines, out, seen = text.splitlines(), [], 0
    for line in lines:
        if line.startswith("## "):
            seen += 1
            if seen > sections:
                break
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


def prepare_domain(domain: str, root: str | Path, *, seed: int, num_tasks: int, task_groups: int, train_tasks: int,
                   eval_tasks: int, warmstart_tasks: int, policy_sections: int | None = None,
                   solvable: SolvableFn | None = None, require_action: bool = True) -> DemoDomain:
    """Generate (unless already there) and select the demo tasks of one domain.

    `solvable` (optional) keeps only tasks whose gold solution succeeds within the run's limits
    (the demo plays them with the oracle agent; see agentcl.curriculum.warmstart);
    `require_action` drops tasks an agent passes without solving them (see `passes_without_skill`):
    their reward says nothing about what the agent learned.
    """
    from ..generate_data import generate_domain_data
    from ..registry import load_domain

    data_dir = Path(root) / domain
    selection_path = data_dir / SELECTION_FILE
    if selection_path.is_file():
        saved = json.loads(selection_path.read_text(encoding="utf-8"))
        if saved.get("request") == [seed, num_tasks, task_groups, train_tasks, eval_tasks, warmstart_tasks,
                                    policy_sections, require_action]:
            return DemoDomain(domain, data_dir, [tuple(g) for g in saved["groups"]], saved["train"], saved["test"],
                              saved["warmstart"], saved.get("counts", {}))
    generate_domain_data(domain, data_dir, seed, num_tasks)
    if policy_sections is not None:  # before anything is played: the prompt length decides what fits
        from ..registry import get_domain

        for name in get_domain(domain).policy_files:
            path = data_dir / name
            if path.is_file():
                path.write_text(shorten_policy(path.read_text(encoding="utf-8"), policy_sections), encoding="utf-8")
    data = load_domain(domain, data_dir)
    generated_train, generated_test = data.tasks_for_split("train"), data.tasks_for_split("test")
    candidates_train, candidates_test = generated_train, generated_test
    if require_action:
        candidates_train = [t for t in candidates_train if not passes_without_skill(t, data)]
        candidates_test = [t for t in candidates_test if not passes_without_skill(t, data)]
    if solvable is not None:
        ok = solvable(data, candidates_train + candidates_test)
        candidates_train = [t for t in candidates_train if t.id in ok]
        candidates_test = [t for t in candidates_test if t.id in ok]
    in_test = {gold_signature(t) for t in candidates_test}  # a kind must be both trained and evaluated
    # a kind needs a few training examples to be learnable: at least a share of the warm-start budget
    min_size = max(1, warmstart_tasks // (2 * task_groups))
    groups = easiest_groups([t for t in candidates_train if gold_signature(t) in in_test], task_groups, min_size)
    train_pool = [t for t in candidates_train if gold_signature(t) in groups]
    test_pool = [t for t in candidates_test if gold_signature(t) in groups]
    if not train_pool or not test_pool:
        raise DataError(f"the generated {domain} data has no task kind solvable within the rollout limits in both "
                        "splits; generate more tasks or raise the limits", path=data_dir)
    warmstart = round_robin(train_pool, groups, warmstart_tasks)
    # GRPO trains on tasks the warm start has not seen, as far as the pool allows: on tasks whose gold
    # conversation it was fitted to, a rise in reward measures memory, not a skill held-out tasks share
    seen = {t.id for t in warmstart}
    train = round_robin([t for t in train_pool if t.id not in seen], groups, train_tasks)
    if len(train) < train_tasks:
        train += round_robin([t for t in train_pool if t.id in seen], groups, train_tasks - len(train))
    test = round_robin(test_pool, groups, eval_tasks)
    splits = {
        "train": [t.id for t in train],
        "test": [t.id for t in test],
        "warmstart": [t.id for t in warmstart],
        "generated_train": [t.id for t in generated_train],
        "generated_test": [t.id for t in generated_test],
    }
    (data_dir / "split_tasks.json").write_text(json.dumps(splits, indent=2) + "\n", encoding="utf-8")
    counts = {"generated": len(data.tasks), "candidates": len(candidates_train) + len(candidates_test),
              "easy_train": len(train_pool), "easy_test": len(test_pool),
              "warmstart": len(warmstart), "train": len(train), "test": len(test),
              "train_also_warmstart": sum(t.id in seen for t in train)}
    selection = {"request": [seed, num_tasks, task_groups, train_tasks, eval_tasks, warmstart_tasks, policy_sections,
                             require_action],
                 "groups": [list(g) for g in groups], "counts": counts,
                 "train": splits["train"], "test": splits["test"], "warmstart": splits["warmstart"]}
    # written last: its presence means the folder is complete
    selection_path.write_text(json.dumps(selection, indent=2) + "\n", encoding="utf-8")
    return DemoDomain(domain, data_dir, groups, splits["train"], splits["test"], splits["warmstart"], counts)
