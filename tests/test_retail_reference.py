"""The retail tools against τ²-bench's reference retail data (train split): every gold action
replays as the benchmark expects and a gold conversation scores 1 on the local components."""

from __future__ import annotations

import pytest

from agentcl.check_data import check_task, gold_conversation
from agentcl.data_model import RewardType, TerminationReason
from agentcl.domains.retail import DOMAIN
from agentcl.domains.retail.data_model import validate_db
from agentcl.domains.base import load_domain_data
from agentcl.rewards.evaluator import replay_gold, start_evaluation
from helpers import REFERENCE_DATA

RETAIL_REFERENCE = REFERENCE_DATA / "retail"

pytestmark = pytest.mark.skipif(not (RETAIL_REFERENCE / "db.json").is_file(),
                                reason=f"τ²-bench reference data not found at {RETAIL_REFERENCE}")

# Gold actions of the reference tasks that fail ON PURPOSE (the user misremembers an email, a
# name or an order id; task 2-4 look up the docstring's example product id; in task 105 the gift
# card cannot cover the exchange, so the right outcome is no change).
EXPECTED_GOLD_ERRORS = {
    ("2", "get_product_details"): 1, ("3", "get_product_details"): 1, ("4", "get_product_details"): 1,
    ("35", "find_user_id_by_email"): 1, ("37", "find_user_id_by_email"): 1, ("54", "find_user_id_by_email"): 1,
    ("46", "get_order_details"): 2, ("47", "get_order_details"): 2, ("67", "find_user_id_by_name_zip"): 2,
    ("105", "exchange_delivered_order_items"): 1,
}
WRITES = ("cancel_", "modify_", "return_", "exchange_")


@pytest.fixture(scope="module")
def reference():
    return load_domain_data(DOMAIN, REFERENCE_DATA)


def test_reference_db_validates(reference):
    validate_db(reference.db.data, path=reference.db.source)


def test_every_reference_task_replays_as_expected_and_its_gold_conversation_scores_one(reference):
    """Per task: the gold replay errors are exactly the intended ones; the DB changes iff a
    write action succeeds; a synthetic conversation made of the gold actions scores 1 on the
    local components (DB here; NL assertions need a judge). The conversation's final state is
    the first replay and the evaluator replays the gold actions again, so this also proves the
    tools deterministic."""
    assert len(reference.tasks) == 74
    base_hash = reference.db.hash()
    errors: dict[tuple[str, str], int] = {}
    for task in reference.tasks:
        env, results = replay_gold(reference, task)
        for action, message in zip(task.gold_actions, results):
            if message.error:
                errors[(task.id, action.name)] = errors.get((task.id, action.name), 0) + 1
        wrote = any(a.name.startswith(WRITES) and not m.error for a, m in zip(task.gold_actions, results))
        assert (env.agent_db_hash() != base_hash) == wrote, task.id
        info = start_evaluation(task, reference, gold_conversation(task), TerminationReason.USER_STOP,
                                final_environment=env, skip_nl=True).info
        local = {k: v for k, v in info.reward_breakdown.items() if k != RewardType.NL_ASSERTION}
        assert local == {RewardType.DB: 1.0}, task.id
    assert errors == EXPECTED_GOLD_ERRORS


def test_full_data_check_on_one_reference_task_per_write_tool(reference):
    """check-data's own check (six environments per task on the 2.8 MB DB, so a sample): the
    first task using each write tool, and task 105 whose only write fails on purpose."""
    sample = {"105": reference.task("105")}
    for task in reference.tasks:
        for action in task.gold_actions:
            if action.name.startswith(WRITES):
                sample.setdefault(action.name, task)
    assert len(sample) >= 7
    for task in sample.values():
        result = check_task(task, reference)
        assert result.ok, (task.id, result.problems)
