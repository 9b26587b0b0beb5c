"""Issue 14, item 2: one process at a time in a run directory.

Before the fix a second `run.py ... --resume` on a directory in use ran alongside the first (both
exited 0, every result and step written twice). The holders here are real processes; the stale
lock is left by a real SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from agentcl.report.run_lock import HOLDER_FILE, RunDirInUseError, hold_run_dir
from helpers import REPO_ROOT

HOLDER = textwrap.dedent("""
    import sys, time
    from agentcl.report.run_lock import hold_run_dir
    with hold_run_dir(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
""")


@pytest.fixture
def holder():
    """Start a process that holds a run directory; killed at the end of the test."""
    procs = []

    def start(run_dir):
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True,
                                env=env)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_second_process_is_refused_naming_the_holder(tmp_path, holder):
    proc = holder(tmp_path / "run")
    with pytest.raises(RunDirInUseError) as err:
        with hold_run_dir(tmp_path / "run"):
            pass
    assert f"process {proc.pid} on host" in str(err.value) and "started" in str(err.value)
    with hold_run_dir(tmp_path / "run", is_main=False) as lock:  # other ranks never wait on it
        assert lock is None


def test_lock_of_a_killed_run_does_not_block_resume(tmp_path, holder):
    proc = holder(tmp_path / "run")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert json.loads((tmp_path / "run" / HOLDER_FILE).read_text())["pid"] == proc.pid  # stale record left
    with hold_run_dir(tmp_path / "run") as lock:
        assert lock is not None
        assert json.loads((tmp_path / "run" / HOLDER_FILE).read_text())["pid"] == os.getpid()


def test_run_py_refuses_a_directory_in_use_before_writing(tmp_path, holder, capsys):
    import run

    out = tmp_path / "run"
    proc = holder(out)
    code = run.main(["--model", "tiny", "--domains", "mock", "--data-dir", str(tmp_path / "nodata"),
                     "--output-dir", str(out), "--resume"])
    assert code == 2
    assert f"in use by process {proc.pid}" in capsys.readouterr().err
    assert not (out / "config.yaml").exists()
