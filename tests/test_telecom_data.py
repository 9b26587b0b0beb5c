"""Telecom tasks: τ²-bench's reference tasks and our generated ones are fixed by their gold actions
(agent and user), fail without them, and the generator is deterministic and verified by replay."""

from __future__ import annotations

import collections
import json

import pytest

from agentcl.check_data import check_domain, check_task, main as check_main
from agentcl.data_model import Task
from agentcl.domains.generation import generated_task
from agentcl.domains.telecom.generation import FAMILIES, build_task, needed_groups, sample_draft
from agentcl.generate_data import generate_domain_data
from agentcl.registry import get_domain, load_domain
from agentcl.rewards.evaluator import check_env_assertions, fresh_environment, replay_gold
from helpers import REFERENCE_DATA


@pytest.fixture(scope="module")
def reference():
    return load_domain("telecom", REFERENCE_DATA)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    generate_domain_data("telecom", out / "a" / "telecom", seed=7, num_tasks=45)
    generate_domain_data("telecom", out / "b" / "telecom", seed=7, num_tasks=45)
    return out


def is_transfer_task(task: Task) -> bool:
    return any(a.name == "transfer_to_human_agents" for a in task.gold_actions)


def _needs_fix(task: Task) -> bool:
    return not is_transfer_task(task)


def assertion_results(task: Task, env) -> list[bool]:
    return [c.met for c in check_env_assertions(task.evaluation_criteria, env)]


def _last_action_needed(task: Task) -> dict[str, list[int]]:
    return {} if is_transfer_task(task) else {"last gold action": [len(task.gold_actions) - 1]}


# -- reference tasks -----------------------------------------------------------------------
def test_reference_gold_actions_pass_every_env_assertion(reference):
    assert len(reference.tasks) == 20
    sides = collections.Counter()
    for task in reference.tasks:
        # as a conversation does them: the phone syncs after each call (τ²-bench's gold-DB replay
        # does not sync, so `replay_gold` may leave a different state; the conversation's is graded)
        env, results = replay_gold(reference, task, as_conversation=True)
        assert not any(m.error for m in results), (task.id, [m.content for m in results])
        assert all(assertion_results(task, env)), task.id
        sides.update(a.requestor for a in task.gold_actions)
    assert sides["user"] >= 15 and sides["assistant"] >= 4  # both sides' gold actions were replayed


def test_reference_do_nothing_fails_every_task_that_needs_a_fix(reference):
    for task in reference.tasks:
        env, _ = fresh_environment(reference, task)
        if _needs_fix(task):
            assert not all(assertion_results(task, env)), task.id
        else:  # transfer tasks: nothing fixes them, the phone stays without service
            gold_env, _ = replay_gold(reference, task)
            assert gold_env.user_tools.data["device"]["network_connection_status"] == "no_service", task.id


def test_reference_tasks_are_broken_until_their_last_fix(reference):
    for task in reference.tasks:
        result = check_task(task, reference, strict=True, needed=_last_action_needed(task))
        assert result.ok, (task.id, result.problems)


def test_check_data_passes_the_reference_tasks(capsys):
    assert check_main(["--data-dir", str(REFERENCE_DATA), "--domain", "telecom", "--strict"]) == 0
    assert "20 tasks, 20 ok, 0 failed" in capsys.readouterr().out


# -- generated tasks -----------------------------------------------------------------------
def test_generation_is_deterministic_per_seed(generated, tmp_path):
    names = ["db.json", "user_db.json", "tasks.json", "split_tasks.json", "main_policy.md", "tech_support_manual.md"]
    for name in names:
        assert (generated / "a" / "telecom" / name).read_bytes() == (generated / "b" / "telecom" / name).read_bytes()
    other = generate_domain_data("telecom", tmp_path / "telecom", seed=8, num_tasks=45)
    assert (other / "tasks.json").read_bytes() != (generated / "a" / "telecom" / "tasks.json").read_bytes()


def test_generated_tasks_pass_check_data(generated):
    domain = load_domain("telecom", generated / "a")
    results = check_domain(domain, strict=True)
    assert len(results) == 45 and all(r.ok for r in results), [r.problems for r in results if not r.ok]
    for task, result in zip(domain.tasks, results):
        if _needs_fix(task):
            assert result.gold_writes and result.nothing_score == 0.0, task.id
        else:
            assert result.nothing_score == 0.0, task.id  # the transfer is missing


def test_generated_tasks_cover_the_scenarios(generated):
    tasks = json.loads((generated / "a" / "telecom" / "tasks.json").read_text())
    purposes = [t["description"]["purpose"] for t in tasks]
    for category in ("service issue", "mobile data issue", "mms issue"):
        assert sum(p.startswith(category) for p in purposes) == 15
    assert any(", " in p for p in purposes)  # combined issues
    assert any(t["evaluation_criteria"]["reward_basis"] == ["ENV_ASSERTION", "ACTION"] for t in tasks)  # transfers
    assert len({t["user_scenario"]["persona"] for t in tasks}) >= 3
    requestors = {a["requestor"] for t in tasks for a in t["evaluation_criteria"]["actions"]}
    assert requestors == {"user", "assistant"}
    splits = json.loads((generated / "a" / "telecom" / "split_tasks.json").read_text())
    assert sorted(splits["train"] + splits["test"]) == sorted(t["id"] for t in tasks)


def test_generated_tasks_are_broken_until_their_last_fix(generated):
    domain = load_domain("telecom", generated / "a")
    for task in domain.tasks:
        result = check_task(task, domain, strict=True, needed=_last_action_needed(task))
        assert result.ok, (task.id, result.problems)


def test_the_verifier_catches_bad_gold_fixes(generated):
    """The generator's verifier (check-data's, with each fault's fix and the last action needed)
    accepts a sound task and names what is wrong with a broken one."""
    import random

    from agentcl.check_data import verify_generated

    domain = load_domain("telecom", generated / "a")
    db, user_db = domain.db.data, domain.user_db.data
    verify = verify_generated(get_domain("telecom"))
    rng = random.Random(0)
    draft = sample_draft(rng, db, 0, "mobile_data_issue")
    while len(draft.faults) < 2:
        draft = sample_draft(rng, db, 0, "mobile_data_issue")
    task, fixes = build_task("probe", draft)
    family = FAMILIES["mobile_data_issue"]

    def problems(task, fixes=None):
        fixes = fixes if fixes is not None else {}
        return " ".join(verify(db, [generated_task(task, family, needed_groups(task, fixes))], user_db).get("probe", []))

    assert problems(task, fixes) == ""

    missing_last = json.loads(json.dumps(task))
    missing_last["evaluation_criteria"]["actions"].pop()
    assert "gold conversation scores {'ENV_ASSERTION': 0.0}" in problems(missing_last)

    unbroken = json.loads(json.dumps(task))
    unbroken["initial_state"]["initialization_actions"] = unbroken["initial_state"]["initialization_actions"][:1]
    unbroken["evaluation_criteria"]["actions"] = [{"action_id": "x", "requestor": "user", "name": "toggle_wifi_calling",
                                                   "arguments": {}}]
    assert "do-nothing conversation scores 1.0 although the task needs a change" in problems(unbroken)

    # a fix for a fault that is not there is reported as not needed
    extra = json.loads(json.dumps(task))
    extra["evaluation_criteria"]["actions"].insert(0, {"action_id": "x", "requestor": "user", "name": "toggle_wifi_calling",
                                                       "arguments": {}})
    assert "the gold actions of 'fix of phantom' are not needed" in problems(extra, {"phantom": [0]})


def test_bad_back_office_names_the_file_and_the_problem(tmp_path):
    import shutil

    from agentcl.errors import DataError

    folder = tmp_path / "telecom"
    shutil.copytree(get_domain("telecom").default_data_dir, folder)
    db = json.loads((folder / "db.json").read_text())
    db["lines"][0]["plan_id"] = "P0000"
    (folder / "db.json").write_text(json.dumps(db))
    with pytest.raises(DataError, match=r"db\.json.*unknown plan 'P0000'"):
        load_domain("telecom", tmp_path)
    del db["bills"]
    (folder / "db.json").write_text(json.dumps(db))
    with pytest.raises(DataError, match="needs a list 'bills'"):
        load_domain("telecom", tmp_path)


def test_shipped_data_is_the_seed0_output(tmp_path):
    spec = get_domain("telecom")
    fresh = generate_domain_data("telecom", tmp_path / "telecom", seed=0, num_tasks=spec.default_num_tasks)
    shipped = sorted(p.name for p in spec.default_data_dir.iterdir())
    assert shipped == sorted(p.name for p in fresh.iterdir())
    for name in shipped:
        assert (fresh / name).read_bytes() == (spec.default_data_dir / name).read_bytes(), name


def test_shipped_data_passes_check_data(capsys):
    assert check_main(["--domain", "telecom", "--strict"]) == 0
    assert "100 tasks, 100 ok, 0 failed" in capsys.readouterr().out
