"""The airline generator: deterministic, every task solvable, shipped data = seed 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from agentcl.check_data import check_task
from agentcl.data_model import StructuredInstructions, ToolCall
from agentcl.domains.airline import DOMAIN
from agentcl.domains.airline.data_model import validate_airline_db
from agentcl.domains.airline.policy import FREE_BAGS
from agentcl.domains.airline.generation import FAMILIES
from agentcl.domains.base import load_domain_data
from agentcl.environment import ToolKind
from agentcl.environment.tool import tool_kind_of
from agentcl.generate_data import generate_domain_data

FILES = ("db.json", "tasks.json", "split_tasks.json", "policy.md")
WRITE_TOOLS = {name for name in DOMAIN.agent_toolkit.tool_names()
               if tool_kind_of(getattr(DOMAIN.agent_toolkit, name)) is ToolKind.WRITE}


@pytest.fixture(scope="module")
def seed0(tmp_path_factory):
    return generate_domain_data("airline", tmp_path_factory.mktemp("airline") / "seed0", 0)


@pytest.fixture(scope="module")
def generated(seed0):
    return load_domain_data(DOMAIN, seed0)


def test_shipped_data_is_seed_0(seed0):
    for name in FILES:
        assert (DOMAIN.default_data_dir / name).read_bytes() == (seed0 / name).read_bytes(), (
            f"shipped {name} differs from the generator's seed-0 output: regenerate it")


def test_same_bytes_under_another_hash_seed(tmp_path):
    """Same seed, same bytes, with no set or dict-order dependence: another process with another
    PYTHONHASHSEED writes the same files as the shipped ones (which are this process's seed 0)."""
    code = ("import sys; from agentcl.generate_data import generate_domain_data; "
            "generate_domain_data('airline', sys.argv[1], 0)")
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "airline")], check=True, env=env)
    for name in FILES:
        assert (tmp_path / "airline" / name).read_bytes() == (DOMAIN.default_data_dir / name).read_bytes(), name


def test_other_seed_and_size(tmp_path):
    data = load_domain_data(DOMAIN, generate_domain_data("airline", tmp_path / "airline", 3, 12))
    assert len(data.tasks) == 12
    assert sorted(data.splits) == ["base", "test", "train"]
    shipped = json.loads((DOMAIN.default_data_dir / "db.json").read_text())
    assert data.db.data["flights"] != shipped["flights"]
    for task in data.tasks:
        assert check_task(task, data).ok


def test_sizes_and_db_shape(seed0, generated):
    assert (seed0 / "db.json").stat().st_size < 1_500_000
    db = validate_airline_db(generated.db.data)
    assert len(db.flights) >= 60 and len(db.users) >= 100 and len(db.reservations) >= 300
    statuses = Counter(d.status for f in db.flights.values() for d in f.dates.values())
    assert {"available", "landed", "cancelled", "delayed", "on time", "flying"} <= set(statuses)
    sources = Counter(m.source for u in db.users.values() for m in u.payment_methods.values())
    assert set(sources) == {"credit_card", "gift_card", "certificate"}
    assert {u.membership for u in db.users.values()} == {"regular", "silver", "gold"}
    assert any(r.status == "cancelled" for r in db.reservations.values())


def test_tasks_cover_every_template_with_structured_scenarios(generated):
    assert len(generated.tasks) == DOMAIN.default_num_tasks
    assert {t.id.rsplit("_", 1)[0] for t in generated.tasks} == set(FAMILIES)
    for task in generated.tasks:
        instructions = task.user_scenario.instructions
        assert isinstance(instructions, StructuredInstructions) and instructions.domain == "airline"
        assert instructions.reason_for_call and instructions.task_instructions
        user_ids = [a.arguments["user_id"] for a in task.gold_actions if "user_id" in a.arguments]
        reservation = next((a.arguments["reservation_id"] for a in task.gold_actions
                            if "reservation_id" in a.arguments), None)
        owner = user_ids[0] if user_ids else generated.db.data["reservations"][reservation]["user_id"]
        assert owner in instructions.known_info  # the user knows who they are
        assert task.evaluation_criteria.reward_basis[0] == "DB"
    splits = generated.splits
    assert sorted(splits["train"] + splits["test"]) == sorted(t.id for t in generated.tasks)


def test_each_family_writes_exactly_when_it_says(generated):
    """The generator verified every task with check-data's check (strict, and the DB changes exactly
    when the family writes); here: a family that writes has a write tool among its gold actions."""
    for task in generated.tasks:
        family = FAMILIES[task.id.rsplit("_", 1)[0]]
        assert family.writes == any(a.name in WRITE_TOOLS for a in task.gold_actions), task.id


def test_one_task_per_family_passes_the_full_data_check(generated):
    firsts = {}
    for task in generated.tasks:
        firsts.setdefault(task.id.rsplit("_", 1)[0], task)
    for name, task in firsts.items():
        result = check_task(task, generated, strict=True, writes=FAMILIES[name].writes)
        assert result.ok, (task.id, result.problems)
        if result.gold_writes:
            assert result.nothing_score == 0.0, task.id


def _replay(domain, task):
    env = domain.make_environment()
    outputs = []
    for action in task.gold_actions:
        message = env.get_response(ToolCall(name=action.name, arguments=action.arguments))
        assert not message.error, (task.id, message.content)
        outputs.append((action.name, message.content))
    return env, outputs


def test_numbers_to_communicate_match_what_the_tools_did(generated):
    """Each communicated amount equals what the gold replay charged, refunded or issued."""
    checked = Counter()
    for task in generated.tasks:
        info = task.evaluation_criteria.communicate_info
        if not info:
            continue
        env, outputs = _replay(generated, task)
        last_name, last_output = outputs[-1]
        kind = task.id.rsplit("_", 1)[0]
        if kind == "book":
            res = json.loads(last_output)
            assert info == [str(sum(p["amount"] for p in res["payment_history"]))], task.id
        elif kind == "cancel_allowed":
            res = json.loads(last_output)
            assert info == [str(-sum(p["amount"] for p in res["payment_history"] if p["amount"] < 0))], task.id
        elif kind in ("change_flights", "change_cabin", "add_baggage"):
            res = json.loads(last_output)
            assert info == [str(abs(res["payment_history"][-1]["amount"]))], task.id
        elif kind == "compensation":
            assert last_name == "send_certificate" and last_output.endswith(f"with amount {info[0]}."), task.id
        elif kind == "info" and last_name == "get_flight_status":
            assert info == [last_output], task.id
        elif kind == "info":  # the fee quote: adding the bags would cost exactly that
            rid = task.gold_actions[-1].arguments["reservation_id"]
            res = env.agent_tools.data["reservations"][rid]
            user = env.agent_tools.data["users"][res["user_id"]]
            free = FREE_BAGS[user["membership"]][res["cabin"]] * len(res["passengers"])
            extra = int(task.user_scenario.instructions.reason_for_call.split("taking ")[1].split()[0])
            card = next(k for k, m in user["payment_methods"].items() if m["source"] == "credit_card")
            after = env.get_response(ToolCall(name="update_reservation_baggages", arguments={
                "reservation_id": rid, "total_baggages": res["total_baggages"] + extra,
                "nonfree_baggages": max(0, res["total_baggages"] + extra - free), "payment_id": card}))
            assert info == [str(json.loads(after.content)["payment_history"][-1]["amount"])], task.id
        else:
            raise AssertionError(f"unexpected communicate_info in {task.id}")
        checked[kind] += 1
    assert {"book", "cancel_allowed", "change_flights", "change_cabin", "compensation", "info"} <= set(checked)


def test_refusal_tasks_keep_the_db_and_transfers_need_the_transfer(generated):
    for task in generated.tasks:
        kind = task.id.rsplit("_", 1)[0]
        if kind == "refuse":
            assert not any(a.name in WRITE_TOOLS for a in task.gold_actions)
            assert task.evaluation_criteria.reward_basis == ["DB"] and task.evaluation_criteria.nl_assertions
        if kind == "transfer":
            assert task.gold_actions[-1].name == "transfer_to_human_agents"
            assert task.gold_actions[-1].compare_args == []
            assert task.evaluation_criteria.reward_basis == ["DB", "ACTION"]


def test_policy_states_the_rules_the_tasks_use(seed0):
    policy = (seed0 / "policy.md").read_text()
    assert "2024-05-15 15:00" in policy
    for level, cabins in FREE_BAGS.items():
        assert f"| {level} | {cabins['basic_economy']} | {cabins['economy']} | {cabins['business']} |" in policy
    for fact in ("$50", "$30 per passenger", "$100 per passenger", "$50 per passenger", "24 hours",
                 "basic economy flights can never be changed", "transfer_to_human_agents",
                 "number of passengers can never"):
        assert fact in policy, fact


def test_users_carry_their_user_id_and_a_wrong_one_is_refused(generated):
    """τ²-bench's airline data model requires users.*.user_id: our generated data writes it."""
    assert all(user.get("user_id") == key for key, user in generated.db.data["users"].items())
    data = json.loads(json.dumps(generated.db.data))
    key = next(iter(data["users"]))
    data["users"][key]["user_id"] = "someone_else"
    with pytest.raises(Exception, match=f"users.{key}.user_id"):
        validate_airline_db(data)
    del data["users"][key]["user_id"]  # τ²-format data without it (the shared copy) still loads
    validate_airline_db(data)
