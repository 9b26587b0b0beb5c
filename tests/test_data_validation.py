"""Issue 14, item 1: a database of the wrong shape stops at load time (check-data, training and
evaluation all load through `load_domain`), with an error naming the file and the field.

Before the fix, `"tasks": [1, 2]` in the mock db.json loaded, trained on reward 1.0 and made
check-data crash with a TypeError naming nothing; `status: 12345` passed check-data.
"""

from __future__ import annotations

import json
import shutil
import tomllib

import pytest

from agentcl.cli import main as cli_main
from agentcl.errors import DataError
from agentcl.registry import load_domain
from helpers import REFERENCE_DATA


def _copy(tmp_path, domain: str):
    dst = tmp_path / "data" / domain
    shutil.copytree(REFERENCE_DATA / domain, dst)
    for p in dst.iterdir():
        p.chmod(0o644)
    return dst


def _edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("change, field", [
    (lambda db: db.__setitem__("tasks", [1, 2]), "tasks"),
    (lambda db: db.__setitem__("users", "notadict"), "users"),
    (lambda db: db["tasks"]["task_1"].__setitem__("status", 12345), "tasks.task_1.status"),
    (lambda db: db["users"]["user_1"].__setitem__("tasks", ["task_99"]), "users.user_1.tasks"),
])
def test_bad_mock_db_names_file_and_field(tmp_path, change, field):
    dst = _copy(tmp_path, "mock")
    _edit_json(dst / "db.json", change)
    with pytest.raises(DataError) as err:
        load_domain("mock", dst.parent)
    assert "db.json" in str(err.value) and field in str(err.value)


def test_check_data_reports_a_bad_db_instead_of_crashing(tmp_path, capsys):
    dst = _copy(tmp_path, "mock")
    _edit_json(dst / "db.json", lambda db: db.__setitem__("tasks", [1, 2]))
    assert cli_main(["check-data", "--data-dir", str(dst.parent), "--domain", "mock"]) == 2
    err = capsys.readouterr().err
    assert "db.json" in err and "invalid mock database at tasks" in err


def test_bad_mock_user_db_names_file_and_field(tmp_path):
    dst = _copy(tmp_path, "mock")
    _edit_json(dst / "user_db.json", lambda db: db["notifications"]["notif_1"].__setitem__("status", 7))
    with pytest.raises(DataError, match=r"user_db\.json.*notifications\.notif_1\.status"):
        load_domain("mock", dst.parent)


def test_telecom_back_office_scalar_types(tmp_path):
    dst = _copy(tmp_path, "telecom")
    db = tomllib.loads((dst / "db.toml").read_text())
    db["lines"][2]["status"] = 12345
    (dst / "db.toml").unlink()
    (dst / "db.json").write_text(json.dumps(db))
    with pytest.raises(DataError, match=r"db\.json.*lines\.2\.status.*12345"):
        load_domain("telecom", dst.parent)


def test_training_and_evaluation_load_validates(tmp_path):
    """The curriculum (training and evaluation) loads its stages through the same validation."""
    from agentcl.config import parse_run_config
    from agentcl.curriculum.stages import plan_stages, stages_from_config

    dst = _copy(tmp_path, "mock")
    _edit_json(dst / "db.json", lambda db: db.__setitem__("users", "notadict"))
    config = parse_run_config(["--model", "tiny", "--domains", "mock", "--data-dir", str(dst.parent),
                               "--train-split", "base", "--eval-split", "base", "--output-dir", str(tmp_path / "o")])
    with pytest.raises(DataError, match=r"db\.json.*users"):
        plan_stages(stages_from_config(config))


def test_check_data_with_no_tasks_fails(tmp_path, capsys):
    dst = _copy(tmp_path, "mock")
    (dst / "tasks.json").write_text("[]")
    (dst / "split_tasks.json").unlink()
    assert cli_main(["check-data", "--data-dir", str(dst.parent), "--domain", "mock"]) == 2
    assert "no tasks to check" in capsys.readouterr().err


def test_reference_and_shipped_data_still_load():
    for domain in ("mock", "airline", "retail", "telecom"):
        assert load_domain(domain, REFERENCE_DATA).tasks
        assert load_domain(domain).tasks
