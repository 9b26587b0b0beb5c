"""`agentcl check-data` and `agentcl generate`: reference data, generated data, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from agentcl.check_data import check_domain, main as check_main
from agentcl.errors import DataError, UnknownNameError
from agentcl.generate_data import generate_domain_data
from agentcl.registry import load_domain
from helpers import REFERENCE_DATA, REPO_ROOT


def test_reference_mock_passes(capsys):
    assert check_main(["--data-dir", str(REFERENCE_DATA), "--domain", "mock"]) == 0
    assert "10 tasks, 10 ok, 0 failed" in capsys.readouterr().out


def test_generated_mock_passes_and_is_deterministic(tmp_path):
    a = generate_domain_data("mock", tmp_path / "a" / "mock", seed=3, num_tasks=25)
    b = generate_domain_data("mock", tmp_path / "b" / "mock", seed=3, num_tasks=25)
    for name in ("db.json", "tasks.json", "split_tasks.json", "policy.md"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    results = check_domain(load_domain("mock", tmp_path / "a"))
    assert len(results) == 25 and all(r.ok for r in results)
    assert sum(r.gold_writes for r in results) >= 10


def test_shipped_mock_data_is_the_seed0_output(tmp_path):
    from agentcl.registry import get_domain

    spec = get_domain("mock")
    fresh = generate_domain_data("mock", tmp_path / "mock", seed=0, num_tasks=spec.default_num_tasks)
    for path in spec.default_data_dir.iterdir():
        assert (fresh / path.name).read_bytes() == path.read_bytes(), path.name


def _copy_mock(tmp_path):
    dst = tmp_path / "data" / "mock"
    shutil.copytree(REFERENCE_DATA / "mock", dst)
    for p in dst.iterdir():
        p.chmod(0o644)
    return dst


def test_malformed_json_names_the_file(tmp_path):
    dst = _copy_mock(tmp_path)
    (dst / "tasks.json").write_text('[{"id": "x",,}]')
    with pytest.raises(DataError) as err:
        load_domain("mock", dst.parent)
    assert "tasks.json" in str(err.value) and "malformed JSON at line 1" in str(err.value)


def test_unknown_gold_tool_names_file_and_task(tmp_path):
    dst = _copy_mock(tmp_path)
    tasks = json.loads((dst / "tasks.json").read_text())
    tasks[3]["evaluation_criteria"]["actions"][0]["name"] = "launch_rocket"
    (dst / "tasks.json").write_text(json.dumps(tasks))
    with pytest.raises(DataError) as err:
        load_domain("mock", dst.parent)
    text = str(err.value)
    assert "tasks.json" in text and repr(tasks[3]["id"]) in text and "launch_rocket" in text and "create_task" in text


def test_invalid_task_names_task(tmp_path):
    dst = _copy_mock(tmp_path)
    tasks = json.loads((dst / "tasks.json").read_text())
    del tasks[1]["user_scenario"]
    (dst / "tasks.json").write_text(json.dumps(tasks))
    with pytest.raises(DataError, match=r"task 'create_task_1_with_env_assertions'.*user_scenario"):
        load_domain("mock", dst.parent)


def test_unknown_domain_lists_known_ones():
    with pytest.raises(UnknownNameError, match="unknown domain 'bank'; known domains: airline, mock, retail"):
        load_domain("bank")


def test_cli_errors_are_clear_and_nonzero(tmp_path):
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PATH": "/usr/bin:/bin"}
    missing = subprocess.run([sys.executable, "-m", "agentcl", "check-data", "--data-dir", str(tmp_path / "nope")],
                             capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    assert missing.returncode == 2 and "data directory does not exist" in missing.stderr and "nope" in missing.stderr
    unknown = subprocess.run([sys.executable, "-m", "agentcl", "check-data", "--domain", "bank"],
                             capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    assert unknown.returncode == 2 and "known domains:" in unknown.stderr


def test_generate_writes_nothing_half_done(tmp_path, monkeypatch):
    from agentcl.registry import get_domain

    spec = get_domain("mock")

    def broken(out_dir, seed, num_tasks, verify):
        (out_dir / "db.json").write_text("{}")
        raise RuntimeError("disk full")

    monkeypatch.setattr("agentcl.domains.mock.generation.generate", broken)
    with pytest.raises(RuntimeError):
        generate_domain_data("mock", tmp_path / "out" / "mock")
    assert not (tmp_path / "out" / "mock").exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_generate_refuses_to_replace_a_source_folder(tmp_path):
    pkg = tmp_path / "mock"
    pkg.mkdir()
    (pkg / "tools.py").write_text("# source code, not data\n")
    with pytest.raises(FileExistsError, match="holds more than domain data"):
        generate_domain_data("mock", pkg)
    assert (pkg / "tools.py").exists()


def test_loading_a_domain_does_not_import_its_generator():
    """Generation code is imported only to generate data: loading every domain and building its
    environment (what training and evaluation do) leaves the generation modules unimported."""
    code = ("import sys\n"
            "from agentcl.registry import DOMAINS, load_domain\n"
            "for name in DOMAINS.names():\n"
            "    load_domain(name).make_environment()\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('agentcl.') and 'generat' in m)\n"
            "print(loaded)\n"
            "from agentcl.generate_data import load_generator\n"
            "load_generator(DOMAINS.get('airline'))\n"
            "print('agentcl.domains.airline.generation.book' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT,
                         env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"
