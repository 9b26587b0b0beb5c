"""The results store survives a killed writer: resumed runs end with each conversation once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentcl.report.metrics import eval_phase, label_run
from agentcl.errors import DataError
from agentcl.report import ResultsStore, TrainingLog, load_results, read_curriculum, write_curriculum
from agentcl.report.journal import JsonlJournal
from test_report_fixtures import CURRICULUM_OUTCOMES, curriculum_runs, make_run

TESTS_DIR = Path(__file__).resolve().parent
EARLY_OUTCOMES = {key: value for key, value in CURRICULUM_OUTCOMES.items() if key[0] < 2}  # 24 runs

# A writer that stores one batch of 4 runs at a time, acknowledges it on stdout, and waits for
# the parent before the next batch, so the parent can SIGKILL it at a known point.
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from agentcl.report import ResultsStore
    from test_report_fixtures import CURRICULUM_OUTCOMES, curriculum_runs
    runs = curriculum_runs({k: v for k, v in CURRICULUM_OUTCOMES.items() if k[0] < 2})
    store = ResultsStore(sys.argv[1])
    for start in range(0, len(runs), 4):
        store.add(runs[start:start + 4])
        print("ack", start + 4, flush=True)
        sys.stdin.readline()
    """
)


def test_killed_writer_then_resume_gives_each_run_exactly_once(tmp_path):
    all_runs = curriculum_runs(EARLY_OUTCOMES)
    all_ids = [run.id for run in all_runs]
    assert len(set(all_ids)) == 24

    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), str(TESTS_DIR)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        for expected in (4, 8, 12):
            assert child.stdout.readline().split() == ["ack", str(expected)]
            if expected < 12:
                child.stdin.write("\n")
                child.stdin.flush()
    finally:
        os.kill(child.pid, signal.SIGKILL)  # the "crash", while it waits to write batch 4
        child.wait()
    # a crash in the middle of a write leaves part of a line behind
    journal = tmp_path / "results.jsonl"
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write(all_runs[12].model_dump_json()[:300])

    store = ResultsStore(tmp_path)  # the resumed process
    done = store.done_ids()
    assert done == set(all_ids[:12])  # every acknowledged run, and not the torn one
    remaining = [run for run in all_runs if run.id not in done]
    repeated = [all_runs[0].model_copy(update={"seed": 99}), all_runs[5]]  # re-run by mistake
    store.add(remaining[:5] + repeated)
    store.add(remaining[5:])
    path = store.finalize(info={"note": "resumed"})

    final = load_results(path)
    assert sorted(run.id for run in final) == sorted(all_ids)  # none lost, none twice
    assert [run.id for run in final][:12] == all_ids[:12]  # first-written order kept
    assert next(run for run in final if run.id == all_ids[0]).seed == 99  # the last copy wins
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["num_simulations"] == 24 and document["info"] == {"note": "resumed"}
    assert json.loads(store.finalize().read_text(encoding="utf-8"))["info"] == {"note": "resumed"}  # kept on rebuild
    # every line of the repaired journal is whole JSON again
    assert all(json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines())


def test_reading_never_repairs_and_a_whole_unterminated_record_is_kept(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"id": "a", "v": 1}\n{"id": "b", "v": 2}\n{"id": "c", "v"', encoding="utf-8")
    journal = JsonlJournal(path, key_of=lambda r: r["id"])
    assert [r["id"] for r in journal.records()] == ["a", "b"]
    assert path.read_text(encoding="utf-8").endswith('"v"')  # a reader leaves a live writer's file alone
    journal.append([{"id": "d", "v": 4}])
    assert [r["id"] for r in journal.records()] == ["a", "b", "d"]

    # a record written whole but cut before its newline is complete: kept, and terminated
    path.write_text('{"id": "a", "v": 1}\n{"id": "b", "v": 2}', encoding="utf-8")
    journal = JsonlJournal(path, key_of=lambda r: r["id"])
    journal.append([{"id": "c", "v": 3}])
    assert [r["id"] for r in journal.records()] == ["a", "b", "c"]


def test_a_corrupt_line_in_the_middle_is_a_clear_error(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"results.jsonl.*line 2"):
        JsonlJournal(path, key_of=lambda r: r["id"]).records()


def test_store_refuses_non_runs_and_keeps_secrets_out(tmp_path):
    from agentcl.secrets import MASK, Secret

    store = ResultsStore(tmp_path)
    with pytest.raises(TypeError, match="SimulationRun"):
        store.add([{"id": "x"}])
    key = Secret("sk-" "test-abcdefghijklmnop1234")
    run = label_run(make_run("mock_create_0", succeed=True, user_text=f"my key is {key.get()}"), phase=eval_phase(0), stage="s")
    store.add([run])
    assert key.get() not in (tmp_path / "results.jsonl").read_text(encoding="utf-8")
    assert MASK in store.finalize().read_text(encoding="utf-8")


def test_training_log_resume_replaces_repeated_steps(tmp_path):
    log = TrainingLog(tmp_path)
    log.add({"step": s, "stage": "a", "reward_mean": 0.1 * s} for s in range(1, 6))
    # resumed from the checkpoint at step 3: steps 4 and 5 run again with new values
    TrainingLog(tmp_path).add({"step": s, "stage": "a", "reward_mean": 1.0} for s in (4, 5, 6))
    steps = TrainingLog(tmp_path).steps()
    assert [s["step"] for s in steps] == [1, 2, 3, 4, 5, 6]
    assert [s["reward_mean"] for s in steps[3:]] == [1.0, 1.0, 1.0]
    assert TrainingLog(tmp_path).done_steps() == {1, 2, 3, 4, 5, 6}
    with pytest.raises(ValueError, match="'step' and 'stage'"):
        log.add([{"step": 7}])


def test_training_log_accepts_numpy_and_torch_scalars(tmp_path):
    import numpy as np
    import torch

    TrainingLog(tmp_path).add([{"step": 1, "stage": "a", "reward_mean": np.float32(0.5), "loss": torch.tensor(0.25)}])
    assert TrainingLog(tmp_path).steps()[0]["loss"] == 0.25


def test_curriculum_plan_is_checked_on_resume(tmp_path):
    assert read_curriculum(tmp_path) is None
    write_curriculum(tmp_path, ["mock", "airline"])
    assert write_curriculum(tmp_path, ["mock", "airline"]) == ["mock", "airline"]
    with pytest.raises(DataError, match="refusing to resume"):
        write_curriculum(tmp_path, ["airline", "mock"])
    with pytest.raises(ValueError, match="unique"):
        write_curriculum(tmp_path / "other", ["a", "a"])
