"""Issue 14, item 6: a full or read-only disk gives one line naming the path and the cause, not a
raw traceback; and train_log.jsonl holds each step once after a resumed step is logged again.

The read-only directory is real: a read-only tmpfs mount when the tests run as root (root ignores
directory modes), else a mode-0555 directory. A full disk is real where a small tmpfs can be
mounted (torch's checkpoint writer); elsewhere ENOSPC is SIMULATED by making `os.fsync` raise it,
as the kernel does when the disk fills during a write.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from agentcl.output_errors import OutputWriteError, writing
from agentcl.report import ResultsStore, TrainingLog
from test_report_fixtures import CURRICULUM_OUTCOMES, curriculum_runs


def _mount_tmpfs(path, options):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True).returncode == 0


@pytest.fixture
def read_only_dir(tmp_path):
    path = tmp_path / "ro"
    mounted = _mount_tmpfs(path, "ro")
    if not mounted:
        if os.geteuid() == 0:
            pytest.skip("running as root without permission to mount a read-only file system")
        path.mkdir()
        path.chmod(0o555)
    yield path
    if mounted:
        subprocess.run(["umount", "-l", str(path)], check=True)  # lazy: a failed writer may hold a file
    else:
        path.chmod(0o755)


@pytest.fixture
def full_dir(tmp_path):
    path = tmp_path / "full"
    if not _mount_tmpfs(path, "size=256k"):
        pytest.skip("cannot mount a small tmpfs here")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=True)  # lazy: a failed writer may hold a file


def _runs():
    return curriculum_runs({k: v for k, v in CURRICULUM_OUTCOMES.items() if k[0] < 1})


def test_results_journal_on_a_read_only_dir(read_only_dir):
    with pytest.raises(OutputWriteError) as err:
        ResultsStore(read_only_dir).add(_runs()[:2])
    assert str(read_only_dir / "results.jsonl") in str(err.value)
    assert "read-only" in str(err.value)


def test_run_py_on_a_read_only_output_dir_says_so(read_only_dir, capsys):
    import run

    code = run.main(["--model", "tiny", "--domains", "mock", "--output-dir", str(read_only_dir / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert str(read_only_dir / "out") in err and "read-only" in err and "Traceback" not in err


def test_full_disk_simulated_for_results_and_metrics(tmp_path, monkeypatch):
    """SIMULATED: os.fsync raises ENOSPC, as a write into a full disk does."""
    from agentcl.report.journal import atomic_write_text

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OutputWriteError, match=r"results\.jsonl: the disk is full"):
        ResultsStore(tmp_path).add(_runs()[:2])
    with pytest.raises(OutputWriteError, match=r"metrics\.json: the disk is full"):
        atomic_write_text(tmp_path / "metrics.json", "{}")
    assert not list(tmp_path.glob(".metrics.json.*"))  # no temporary file left behind


def test_torch_checkpoint_on_a_full_disk_names_path_and_cause(full_dir):
    """A real full disk: torch's writer fails without an errno; the error still says why."""
    import torch

    target = full_dir / "checkpoint-2" / "optimizer.pt"
    target.parent.mkdir()
    with pytest.raises(OutputWriteError) as err:
        with writing(target.parent):
            torch.save({"w": torch.zeros(1_000_000)}, target)
    assert str(target.parent) in str(err.value) and "the disk is full" in str(err.value)


def test_training_log_holds_each_step_once(tmp_path):
    log = TrainingLog(tmp_path)
    log.add([{"step": 1, "stage": "mock", "reward_mean": 0.1}, {"step": 2, "stage": "mock", "reward_mean": 0.2}])
    log = TrainingLog(tmp_path)  # the resumed run (from checkpoint-1) logs step 2 again, then step 3
    log.add([{"step": 2, "stage": "mock", "reward_mean": 0.25}])
    log.add([{"step": 3, "stage": "mock", "reward_mean": 0.3}])
    lines = (tmp_path / "train_log.jsonl").read_text().splitlines()
    assert len(lines) == 3
    assert [(s["step"], s["reward_mean"]) for s in log.steps()] == [(1, 0.1), (2, 0.25), (3, 0.3)]
