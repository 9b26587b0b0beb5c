"""The retail generator: seeded and byte-identical, shipped data up to date, every task solvable."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agentcl.check_data import check_task, gold_conversation
from agentcl.data_model import RewardType
from agentcl.domains.base import load_domain_data
from agentcl.domains.retail import DOMAIN
from agentcl.domains.retail.data_model import validate_db
from agentcl.domains.retail.generation import FAMILIES
from agentcl.generate_data import generate_domain_data
from agentcl.registry import get_domain
from agentcl.rewards.evaluator import check_actions, check_communicate, replay_gold

FILES = ("db.json", "tasks.json", "split_tasks.json", "policy.md")


def kind_of(task_id: str) -> str:
    return task_id.rsplit("_", 1)[0].removeprefix("retail_")


WRITE_TEMPLATES = {name for name, family in FAMILIES.items() if family.writes}


@pytest.fixture(scope="module")
def seed0(tmp_path_factory):
    return generate_domain_data("retail", tmp_path_factory.mktemp("retail") / "seed0", 0)


@pytest.fixture(scope="module")
def shipped():
    return load_domain_data(DOMAIN)


def test_domain_spec_is_registered():
    assert get_domain("retail") is DOMAIN
    assert DOMAIN.name == "retail" and DOMAIN.generator is not None and DOMAIN.default_num_tasks == 100


def test_shipped_data_is_seed_0(seed0):
    for name in FILES:
        assert (DOMAIN.default_data_dir / name).read_bytes() == (seed0 / name).read_bytes(), (
            f"{name} is out of date: regenerate the shipped retail data with seed 0")


def test_another_seed_gives_other_data_and_each_template_fits(tmp_path, seed0):
    out = generate_domain_data("retail", tmp_path / "retail", 7, 2 * len(FAMILIES))  # every task is verified
    assert (out / "db.json").read_bytes() != (seed0 / "db.json").read_bytes()
    tasks = json.loads((out / "tasks.json").read_text())
    assert Counter(kind_of(t["id"]) for t in tasks) == {kind: 2 for kind in FAMILIES}


def test_bad_task_count_is_refused(tmp_path):
    with pytest.raises(ValueError, match="num_tasks"):
        generate_domain_data("retail", tmp_path / "retail", 0, 0)


def test_shipped_data_is_valid_and_small(shipped):
    validate_db(shipped.db.data, path=shipped.db.source)
    assert (DOMAIN.default_data_dir / "db.json").stat().st_size < 1_500_000
    assert len(shipped.tasks) == DOMAIN.default_num_tasks
    counts = Counter(kind_of(t.id) for t in shipped.tasks)
    assert set(counts) == set(FAMILIES) and min(counts.values()) >= 9
    train, test = shipped.tasks_for_split("train"), shipped.tasks_for_split("test")
    assert len(train) + len(test) == len(shipped.tasks) and not {t.id for t in train} & {t.id for t in test}
    statuses = Counter(o["status"] for o in shipped.db.data["orders"].values())
    assert set(statuses) == {"pending", "processed", "delivered", "cancelled"}
    sources = Counter(m["source"] for u in shipped.db.data["users"].values() for m in u["payment_methods"].values())
    assert set(sources) == {"credit_card", "paypal", "gift_card"}


def test_one_task_per_template_passes_the_full_data_check(shipped):
    """check-data's full check (six environments per task, so one task per template here): no
    gold error, writes exactly for write templates, the gold conversation scores 1 on every
    local component, doing nothing scores 0 when a change is due."""
    firsts = {}
    for task in shipped.tasks:
        firsts.setdefault(kind_of(task.id), task)
    for kind, task in firsts.items():
        result = check_task(task, shipped, strict=True)
        assert result.ok, (task.id, result.problems)
        assert result.gold_writes == (kind in WRITE_TEMPLATES), task.id
        basis = {b.value for b in task.evaluation_criteria.reward_basis}
        assert set(result.gold_score) == basis and all(v == 1.0 for v in result.gold_score.values()), task.id
        if result.gold_writes:
            assert result.nothing_score == 0.0, task.id


def test_every_generated_task_replays_and_its_gold_conversation_meets_the_criteria(shipped):
    """Every task: gold replay without errors, a DB change exactly for write templates, and the
    gold conversation meets the ACTION and COMMUNICATE criteria (its DB is the gold DB)."""
    base_hash = shipped.db.hash()
    for task in shipped.tasks:
        env, results = replay_gold(shipped, task)
        assert not [m.content for m in results if m.error], task.id
        assert (env.agent_db_hash() != base_hash) == (kind_of(task.id) in WRITE_TEMPLATES), task.id
        messages = gold_conversation(task)
        criteria = task.evaluation_criteria
        assert all(c.met for c in check_actions(criteria, messages)), task.id
        assert all(c.met for c in check_communicate(criteria, messages)), task.id


def test_scenarios_carry_what_the_user_must_know(shipped):
    for task in shipped.tasks:
        instructions = task.user_scenario.instructions
        known = instructions.known_info
        first = task.gold_actions[0]
        if first.name == "find_user_id_by_email":
            assert first.arguments["email"] in known, task.id
        else:
            assert first.name == "find_user_id_by_name_zip", task.id
            assert first.arguments["zip"] in known and first.arguments["last_name"] in known, task.id
            assert "email" in instructions.unknown_info
        reads_profile = any(a.name == "get_user_details" for a in task.gold_actions)
        for action in task.gold_actions:
            if action.name == "get_order_details" and not reads_profile:
                assert action.arguments["order_id"] in known, task.id
        assert instructions.domain == "retail" and instructions.reason_for_call and task.user_scenario.persona


def test_question_answers_come_from_the_tools(shipped):
    """Each COMMUNICATE answer of an info task appears (as a number or a string) in the outputs
    of its gold reads, so an agent that reads the same data can say it."""
    for task in shipped.tasks:
        criteria = task.evaluation_criteria
        if RewardType.COMMUNICATE not in criteria.reward_basis:
            continue
        assert criteria.communicate_info, task.id
        if kind_of(task.id) != "info":
            continue
        _, results = replay_gold(shipped, task)
        outputs = " ".join(m.content for m in results)
        for answer in criteria.communicate_info:
            assert answer in outputs or f"{float(answer)}" in outputs, (task.id, answer)
