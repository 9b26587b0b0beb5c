"""Issue 14, items 3, 5, 8b, 8c: refusals that must happen before anything is written or run.

3: a refused run (directory holds another run; resume with other stages) left config.yaml
   rewritten with the refused settings.
5: `--preset demo --data-dir X` printed X and silently trained on the demo's own data.
8b: `--group-size abc` said "invalid <lambda> value".
8c: `--resume` with another --seed / --eval-trials mixed two settings in one run's results.
"""

from __future__ import annotations

import pytest
import yaml

from agentcl.config import parse_run_config
from agentcl.report import write_curriculum

TINY = ["--model", "tiny", "--local-relay", "--tasks-per-domain", "1", "--eval-tasks-per-domain", "1",
        "--max-steps", "1", "--group-size", "2", "--tasks-per-step", "1", "--max-conversation-steps", "4",
        "--max-new-tokens", "8", "--train-split", "base", "--eval-split", "base"]


@pytest.fixture
def finished_run(tmp_path):
    """A run directory as a finished mock run leaves it (stages, config.yaml with seed 42, trials 1)."""
    out = tmp_path / "run"
    config = parse_run_config([*TINY, "--domains", "mock", "--eval-trials", "1", "--output-dir", str(out)])
    write_curriculum(out, ["mock"])
    config.save(out)
    return out


def _saved(out):
    return yaml.safe_load((out / "config.yaml").read_text())


@pytest.mark.parametrize("extra, message", [
    (["--seed", "999"], "already holds a run"),
    (["--resume"], "refusing to resume with"),
])
def test_refused_run_leaves_config_yaml_alone(finished_run, capsys, extra, message):
    import run

    before = (finished_run / "config.yaml").read_text()
    code = run.main([*TINY, "--domains", "airline", "--eval-trials", "1",
                     "--output-dir", str(finished_run), *extra])
    assert code == 2 and message in capsys.readouterr().err
    assert (finished_run / "config.yaml").read_text() == before


@pytest.mark.parametrize("flags, changed", [
    (["--seed", "999", "--eval-trials", "1"], "seed 42 -> 999"),
    (["--eval-trials", "3"], "eval_trials 1 -> 3"),
])
def test_resume_with_other_seed_or_trials_is_refused(finished_run, capsys, flags, changed):
    import run

    code = run.main([*TINY, "--domains", "mock", *flags, "--output-dir", str(finished_run), "--resume"])
    assert code == 2
    err = capsys.readouterr().err
    assert changed in err and "config.yaml" in err
    assert _saved(finished_run)["seed"] == 42 and not (finished_run / "results.jsonl").exists()


def test_demo_does_not_ignore_data_dir(tmp_path, capsys):
    import run

    data = tmp_path / "my-data"
    code = run.main(["--preset", "demo", "--data-dir", str(data), "--output-dir", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--data-dir" in err or str(data) in err  # refused, or honoured (and this dir does not exist)


def test_bad_number_names_the_flag_and_the_type(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_run_config(["--group-size", "abc"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--group-size" in err and "int value: 'abc'" in err
    assert "<lambda>" not in err
