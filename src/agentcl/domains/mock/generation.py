"""Seeded generator of the mock domain's default data (users, tasks, and tasks for the agent).

Five task families in turn (create, complete, reopen, count, delete); every task is verified
(check-data's verifier) before anything is written.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ..generation import TaskFamily, Verifier, family_registry, generated_task, require_verified, write_domain_files

POLICY = """
# Task tracker support policy

You help members of a team manage their tasks in the task tracker.

- Only act on the user ids and task ids the user gives you; look users up with get_users when you
  need to check who owns what.
- Create a task only when the user asks for it, with the exact title they give.
- A task's status is either `pending` or `completed`. Change it only when the user asks.
- Tasks cannot be deleted, renamed or reassigned with the tools you have. When a user asks for
  something you cannot do, transfer them to a human agent with a short summary.
- After every change, tell the user what you did, naming the task id.
"""

FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Femi", "Gus", "Hana", "Ivan", "Jia", "Kofi", "Lena"]
LAST_NAMES = ["Moreau", "Okafor", "Silva", "Tanaka", "Novak", "Haddad", "Reyes", "Berg", "Khan", "Price"]
TOPICS = ["budget review", "design sync", "release notes", "customer call", "hiring loop", "security audit",
          "quarterly report", "onboarding doc", "vendor contract", "roadmap draft", "bug triage", "team offsite"]
# Families in the order tasks cycle through them; this generator builds them in its own loop.
FAMILIES = family_registry([TaskFamily("create", None, writes=True), TaskFamily("complete", None, writes=True),
                            TaskFamily("reopen", None, writes=True), TaskFamily("count", None, writes=False),
                            TaskFamily("delete", None, writes=False)])
PERSONAS = [
    "Professional and direct; writes short, clear messages.",
    "Friendly and a little chatty, but gets to the point when asked.",
    "Busy and slightly impatient; wants things done quickly.",
]


def _build_db(rng: random.Random, n_users: int) -> dict[str, Any]:
    users, tasks = {}, {}
    for u in range(1, n_users + 1):
        uid = f"user_{u}"
        users[uid] = {"user_id": uid, "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "tasks": []}
    for t in range(1, 2 * n_users + 1):
        tid, owner = f"task_{t}", f"user_{rng.randint(1, n_users)}"
        topic = rng.choice(TOPICS)
        tasks[tid] = {"task_id": tid, "title": topic.title(), "description": f"Prepare the {topic}",
                      "status": rng.choice(["pending", "pending", "completed"])}
        users[owner]["tasks"].append(tid)
    return {"tasks": tasks, "users": users}


def _scenario(rng: random.Random, reason: str, known: str, unknown: str | None = None) -> dict[str, Any]:
    return {
        "persona": rng.choice(PERSONAS),
        "instructions": {
            "domain": "mock",
            "reason_for_call": reason,
            "known_info": known,
            "unknown_info": unknown,
            "task_instructions": "Give the agent one piece of information at a time, when asked.",
        },
    }


def _task(task_id: str, purpose: str, scenario: dict, actions: list, basis: list, info: list | None = None,
          nl: list | None = None) -> dict[str, Any]:
    return {
        "id": task_id,
        "description": {"purpose": purpose},
        "user_scenario": scenario,
        "initial_state": None,
        "evaluation_criteria": {
            "actions": actions,
            "communicate_info": info or [],
            "nl_assertions": nl or [],
            "reward_basis": basis,
        },
    }


def generate(out_dir: Path, seed: int, num_tasks: int, verify: Verifier) -> None:
    rng = random.Random(seed)
    db = _build_db(rng, n_users=max(4, num_tasks // 4))
    users, tasks = db["users"], db["tasks"]
    next_task_number = len(tasks) + 1  # create_task numbers new tasks after the existing ones
    created_per_task: list[dict] = []
    kinds = list(FAMILIES)
    family_of: list[TaskFamily] = []
    for i in range(num_tasks):
        kind = kinds[i % len(kinds)]
        tid = f"mock_{kind}_{i}"
        family_of.append(FAMILIES[kind])  # each turn of the loop adds one task of this family
        uid = f"user_{rng.randint(1, len(users))}"
        name = users[uid]["name"]
        if kind == "create":
            title = f"{rng.choice(TOPICS).title()} {rng.randint(2, 99)}"
            # every task starts from the shipped DB, so the new id is always the next number
            new_id = f"task_{next_task_number}"
            created_per_task.append(
                _task(tid, "Create a task with the exact title", _scenario(
                    rng, f"You want a new task called '{title}' in the tracker.",
                    f"You are {name}; your user id is {uid}."),
                    [{"action_id": f"{tid}_0", "name": "create_task", "arguments": {"user_id": uid, "title": title},
                      "compare_args": ["user_id", "title"]}],
                    ["DB", "COMMUNICATE"], info=[new_id]))
        elif kind in ("complete", "reopen"):
            wanted = "completed" if kind == "complete" else "pending"
            candidates = [t for t in users[uid]["tasks"] if tasks[t]["status"] != wanted] or \
                [t for t in tasks if tasks[t]["status"] != wanted]
            task_ref = rng.choice(sorted(candidates))
            verb = "mark as done" if kind == "complete" else "reopen (set back to pending)"
            created_per_task.append(
                _task(tid, f"Set a task to {wanted}", _scenario(
                    rng, f"You want to {verb} your task {task_ref} ('{tasks[task_ref]['title']}').",
                    f"You are {name}; your user id is {uid}. The task id is {task_ref}."),
                    [{"action_id": f"{tid}_0", "name": "update_task_status",
                      "arguments": {"task_id": task_ref, "status": wanted}}],
                    ["DB"]))
        elif kind == "count":
            owned = users[uid]["tasks"]
            pending = sum(1 for t in owned if tasks[t]["status"] == "pending")
            created_per_task.append(
                _task(tid, "Answer a question from the tracker without changing it", _scenario(
                    rng, "You want to know how many of your tasks are still pending.",
                    f"You are {name}; your user id is {uid}."),
                    [{"action_id": f"{tid}_0", "name": "get_users", "arguments": {}}],
                    ["DB", "COMMUNICATE"], info=[str(pending)]))
        else:
            task_ref = rng.choice(sorted(users[uid]["tasks"] or list(tasks)))
            created_per_task.append(
                _task(tid, "Refuse what the tools cannot do and transfer", _scenario(
                    rng, f"You want task {task_ref} deleted from the tracker.",
                    f"You are {name}; your user id is {uid}."),
                    [{"action_id": f"{tid}_0", "name": "transfer_to_human_agents",
                      "arguments": {"summary": f"User wants task {task_ref} deleted."}, "compare_args": []}],
                    ["DB", "ACTION"]))
    require_verified(verify, db, [generated_task(t, f) for t, f in zip(created_per_task, family_of)],
                     user_db={"notifications": {}})
    write_domain_files(out_dir, db=db, tasks=created_per_task, policy=POLICY, seed=seed,
                       user_db={"notifications": {}})
