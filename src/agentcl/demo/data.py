"""The demo's data: freshly generated domains, cut down to a few easy kinds of task.

For each domain: generate `num_tasks` tasks with the domain's own generator (its train/test split
kept), group the tasks by their gold solution (the sequence of gold tool names), rank the groups
by how much the agent has to write (number of gold calls and the size of their arguments), and
keep the easiest `task_groups` groups. From those:

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
from typing import Sequence

from ..data_model import Task
from ..errors import DataError

SELECTION_FILE = "demo_selection.json"


def gold_signature(task: Task) -> tuple[str, ...]:
    return tuple(f"{a.requestor}:{a.name}" for a in task.gold_actions)


def gold_effort(task: Task) -> float:
    """How much the agent must produce: one per gold call plus its arguments' size (per 50 chars)."""
    return sum(1.0 + len(json.dumps(a.arguments, sort_keys=True)) / 50.0 for a in task.gold_actions)


def easiest_groups(tasks: Sequence[Task], count: int) -> list[tuple[str, ...]]:
    groups: dict[tuple[str, ...], list[Task]] = {}
    for task in tasks:
        groups.setdefault(gold_signature(task), []).append(task)
    ranked = sorted(groups, key=lambda g: (sum(map(gold_effort, groups[g])) / len(groups[g]), -len(groups[g]), g))
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
                   eval_tasks: int, warmstart_tasks: int, policy_sections: int | None = None) -> DemoDomain:
    """Generate (unless already there) and select the demo tasks of one domain."""
    from ..generate_data import generate_domain_data
    from ..registry import load_domain

    data_dir = Path(root) / domain
    selection_path = data_dir / SELECTION_FILE
    if selection_path.is_file():
        saved = json.loads(selection_path.read_text(encoding="utf-8"))
        if saved.get("request") == [seed, num_tasks, task_groups, train_tasks, eval_tasks, warmstart_tasks,
                                    policy_sections]:
            return DemoDomain(domain, data_dir, [tuple(g) for g in saved["groups"]], saved["train"], saved["test"],
                              saved["warmstart"], saved.get("counts", {}))
    generate_domain_data(domain, data_dir, seed, num_tasks)
    data = load_domain(domain, data_dir)
    generated_train, generated_test = data.tasks_for_split("train"), data.tasks_for_split("test")
    in_test = {gold_signature(t) for t in generated_test}  # a kind must be both trained and evaluated
    groups = easiest_groups([t for t in generated_train if gold_signature(t) in in_test], task_groups)
    train_pool = [t for t in generated_train if gold_signature(t) in groups]
    test_pool = [t for t in generated_test if gold_signature(t) in groups]
    if not train_pool or not test_pool:
        raise DataError(f"the generated {domain} data has no easy tasks in both splits; raise num_tasks", path=data_dir)
    warmstart = round_robin(train_pool, groups, warmstart_tasks)
    train = round_robin(train_pool, groups, train_tasks)
    test = round_robin(test_pool, groups, eval_tasks)
    splits = {
        "train": [t.id for t in train],
        "test": [t.id for t in test],
        "warmstart": [t.id for t in warmstart],
        "generated_train": [t.id for t in generated_train],
        "generated_test": [t.id for t in generated_test],
    }
    (data_dir / "split_tasks.json").write_text(json.dumps(splits, indent=2) + "\n", encoding="utf-8")
    counts = {"generated": len(data.tasks), "easy_train": len(train_pool), "easy_test": len(test_pool),
              "warmstart": len(warmstart), "train": len(train), "test": len(test)}
    if policy_sections is not None:
        from ..registry import get_domain

        for name in get_domain(domain).policy_files:
            path = data_dir / name
            if path.is_file():
                path.write_text(shorten_policy(path.read_text(encoding="utf-8"), policy_sections), encoding="utf-8")
    selection = {"request": [seed, num_tasks, task_groups, train_tasks, eval_tasks, warmstart_tasks, policy_sections],
                 "groups": [list(g) for g in groups], "counts": counts,
                 "train": splits["train"], "test": splits["test"], "warmstart": splits["warmstart"]}
    # written last: its presence means the folder is complete
    selection_path.write_text(json.dumps(selection, indent=2) + "\n", encoding="utf-8")
    return DemoDomain(domain, data_dir, groups, splits["train"], splits["test"], splits["warmstart"], counts)
