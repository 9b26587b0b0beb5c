"""Curriculum stage specs: parsing from flags / YAML / mappings, and the tasks each stage gets."""

from __future__ import annotations

import pytest

from agentcl.config import ConfigError, parse_run_config
from agentcl.curriculum.stages import Stage, load_stage_file, parse_stages, plan_stages, stages_from_config
from agentcl.errors import DataError

from helpers import REFERENCE_DATA


def test_domain_names_become_stages_with_the_configured_splits_and_caps():
    config = parse_run_config(["--domains", "mock,airline", "--tasks-per-domain", "3", "--eval-tasks-per-domain", "2",
                               "--eval-split", "test"])
    stages = stages_from_config(config)
    assert [(s.name, s.domain) for s in stages] == [("mock", "mock"), ("airline", "airline")]
    assert all(s.max_train_tasks == 3 and s.max_eval_tasks == 2 and s.eval_split == "test" for s in stages)
    assert all(s.data_dir is None and s.replay_ratio == 0 for s in stages)


def test_the_default_curriculum_comes_from_the_training_constant():
    from agentcl.config import DEFAULT_DOMAINS

    stages = stages_from_config(parse_run_config([]))
    assert [s.domain for s in stages] == list(DEFAULT_DOMAINS)


def test_stage_items_can_be_names_aliases_or_mappings():
    stages = parse_stages(["mock", "again=mock", {"domain": "airline", "max_eval_tasks": 5, "replay_ratio": 0.25}],
                          defaults={"eval_split": "test", "max_eval_tasks": 2})
    assert [(s.name, s.domain, s.max_eval_tasks) for s in stages] == [
        ("mock", "mock", 2), ("again", "mock", 2), ("airline", "airline", 5)]
    assert stages[2].replay_ratio == 0.25


@pytest.mark.parametrize("items, message", [
    (["mock", "mock"], "unique"),
    (["nope"], "unknown domain 'nope'"),
    ([{"domain": "mock", "colour": "red"}], "unknown stage key"),
    ([{"max_eval_tasks": 2}], "needs a 'domain'"),
    ([{"domain": "mock", "max_eval_tasks": 0}], "at least 1"),
    ([], "at least one stage"),
    ([{"name": "a", "domain": "mock", "data_dir": "/x"}, {"name": "b", "domain": "mock", "data_dir": "/y"}],
     "two data directories"),
])
def test_bad_stage_lists_are_refused_with_a_clear_message(items, message):
    with pytest.raises(ConfigError, match=message):
        parse_stages(items)


def test_unknown_domain_error_lists_the_known_ones():
    with pytest.raises(ConfigError) as info:
        parse_stages(["nope"])
    assert "mock" in str(info.value) and "airline" in str(info.value)


def test_stage_file_reads_a_yaml_list(tmp_path):
    path = tmp_path / "stages.yaml"
    path.write_text("stages:\n  - mock\n  - {name: air, domain: airline, max_train_tasks: 2}\n")
    stages = load_stage_file(path, defaults={"eval_split": "test"})
    assert [(s.name, s.domain, s.max_train_tasks, s.eval_split) for s in stages] == [
        ("mock", "mock", None, "test"), ("air", "airline", 2, "test")]
    with pytest.raises(ConfigError, match="not found"):
        load_stage_file(tmp_path / "missing.yaml")


def test_plans_pick_learning_evaluation_and_replayable_tasks():
    stages = parse_stages(["mock", {"name": "mock_again", "domain": "mock", "train_split": "test", "replay_ratio": 0.5}],
                          defaults={"max_train_tasks": 3, "max_eval_tasks": 2, "eval_split": "test"})
    first, second = plan_stages(stages)
    assert (first.index, second.index) == (1, 2)
    assert len(first.train_tasks) == 3 and len(first.eval_tasks) == 2
    train_split = {t.id for t in first.data.tasks_for_split("train")}
    test_split = {t.id for t in first.data.tasks_for_split("test")}
    assert {t.id for t in first.train_tasks} <= train_split
    assert {t.id for t in first.eval_tasks} <= test_split
    # the second stage may replay every learning task of the first
    assert first.replay_pool == []
    assert [(r.task_id, r.replayed_from) for r in second.replay_pool] == [(t.id, "mock") for t in first.train_tasks]
    spec = second.training_spec(steps=4, tasks_per_step=2, seed=0)
    assert spec.name == "mock_again" and spec.domains == ["mock"] and spec.ordered
    assert len(spec.task_ids) == 8  # the whole schedule, in batch order
    replayed = [t for t in spec.task_ids if t in spec.replayed_from]
    assert len(replayed) == 4 and {t for _, t in replayed} <= {t.id for t in first.train_tasks}
    assert set(spec.replayed_from.values()) == {"mock"}
    plain = first.training_spec(steps=4, tasks_per_step=2)
    assert plain.task_ids == [("mock", t.id) for t in first.train_tasks] and not plain.ordered


def test_a_missing_split_names_the_known_ones():
    # the τ²-bench reference data has no split file: only "base" (all tasks)
    stages = parse_stages([Stage(name="airline", domain="airline", data_dir=str(REFERENCE_DATA), eval_split="test")])
    with pytest.raises(DataError, match="known splits: base"):
        plan_stages(stages)
    plan, = plan_stages([Stage(name="airline", domain="airline", data_dir=str(REFERENCE_DATA), eval_split="base",
                               max_eval_tasks=2)], need_train=False)
    assert len(plan.eval_tasks) == 2 and plan.train_tasks == []


def test_the_run_configuration_accepts_the_stage_syntax_its_error_recommends():
    """`validate` used to reject 'name=domain' (it looked each item up as a domain name), although the
    stage parser's message for a repeated domain recommends exactly that syntax."""
    with pytest.raises(ConfigError) as info:
        parse_run_config(["--domains", "mock,mock"])
    advice = str(info.value).split("apart: '")[1].split("'")[0]
    assert advice == "mock_again=mock"
    config = parse_run_config(["--domains", f"mock,{advice}"])
    assert [(s.name, s.domain) for s in stages_from_config(config)] == [("mock", "mock"), ("mock_again", "mock")]
    with pytest.raises(ConfigError, match="unknown domain 'nowhere'"):
        parse_run_config(["--domains", "mock,x=nowhere"])


def test_a_stage_can_set_its_own_number_of_steps_from_yaml(tmp_path):
    """Stages from a YAML --config may be mappings with their own max_steps (the demo trains mock
    longer than airline and retail); the spec hands it to the trainer, which sets GRPOConfig.max_steps."""
    path = tmp_path / "run.yaml"
    path.write_text("domains:\n  - {name: mock, max_steps: 7, max_eval_tasks: 2}\n  - first_again=mock\nmax_steps: 3\n",
                    encoding="utf-8")
    config = parse_run_config(["--config", str(path)])
    first, second = plan_stages(stages_from_config(config))
    assert (first.name, first.stage.max_steps, len(first.eval_tasks)) == ("mock", 7, 2)
    assert (first.steps(config.training.max_steps), second.steps(config.training.max_steps)) == (7, 3)
    assert first.training_spec(steps=7).max_steps == 7 and second.training_spec(steps=3).max_steps is None
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="max_steps must be a whole number"):
            parse_stages([{"name": "mock", "max_steps": bad}])
