"""Results travel both ways between agentcl and τ²-bench.

- A results file written by τ²-bench's own writer (`../shared/tau2-reference/results_example`)
  imports: same rewards as τ²-bench computed, the same rewards when our evaluator re-grades its
  conversations, and `report` gives the pass^k that τ²-bench's definition gives.
- `export --format tau2` writes files that validate against τ²-bench's `Results` JSON schema
  (jsonschema) and import back with the same rewards.
"""

from __future__ import annotations

import json
import shutil
from math import comb
from pathlib import Path

import jsonschema
import pytest

from agentcl.check_data import gold_conversation
from agentcl.data_model import TerminationReason
from agentcl.registry import load_domain
from agentcl.report import build_report, load_results, write_results_json
from agentcl.export import main as export_main
from agentcl.rewards.evaluator import evaluate_run
from agentcl.report.metrics import label_run
from agentcl.data_model import SimulationRun

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "tau2-reference"
DATA = ROOT.parent / "shared" / "tau2-data"
EXAMPLES = sorted((REFERENCE / "results_example").glob("*.json")) if REFERENCE.is_dir() else []

pytestmark = pytest.mark.skipif(not EXAMPLES or not DATA.is_dir(), reason="τ²-bench reference not beside the checkout")


def tau2_pass_k(rewards_by_task: dict[str, list[float]], k: int) -> float:
    """τ²-bench's pass^k: mean over tasks of C(successes, k) / C(trials, k); success = reward 1."""
    values = [comb(sum(abs(r - 1) <= 1e-6 for r in rs), k) / comb(len(rs), k) for rs in rewards_by_task.values()]
    return sum(values) / len(values)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_tau2_results_import_with_tau2_rewards_and_pass_k(example, tmp_path):
    document = json.loads(example.read_text())
    domain_name = document["info"]["environment_info"]["domain_name"]
    assert "domain" not in document["simulations"][0]  # τ²-bench keeps it in info.environment_info
    runs = load_results(example)
    assert [r.extra["tau2_id"] for r in runs] == [s["id"] for s in document["simulations"]]
    assert {r.domain for r in runs} == {domain_name}
    assert [r.reward_info.reward for r in runs] == [s["reward_info"]["reward"] for s in document["simulations"]]

    # our evaluator, on the imported conversations, agrees with τ²-bench's grades
    domain = load_domain(domain_name, DATA)
    for run in runs:
        regraded = evaluate_run(domain.task(run.task_id), domain, run.messages, run.termination_reason)
        assert regraded.reward == run.reward_info.reward, run.task_id

    # report: the τ² file as a run directory's results.json
    shutil.copy(example, tmp_path / "results.json")
    build_report(tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    [evaluation] = metrics["evaluations"]
    by_task: dict[str, list[float]] = {}
    for sim in document["simulations"]:
        by_task.setdefault(sim["task_id"], []).append(sim["reward_info"]["reward"])
    trials = min(len(v) for v in by_task.values())
    assert evaluation["stage"] == domain_name and evaluation["runs"] == len(document["simulations"])
    for k in range(1, trials + 1):
        assert evaluation["pass_k"][str(k)] == pytest.approx(tau2_pass_k(by_task, k))


def _our_run_dir(tmp_path: Path) -> Path:
    """A run directory holding our own graded conversations (gold and do-nothing) of mock tasks."""
    domain = load_domain("mock", DATA)
    runs = []
    for trial, task in enumerate(domain.tasks[:4]):
        messages = gold_conversation(task)
        info = evaluate_run(task, domain, messages, TerminationReason.USER_STOP)
        run = SimulationRun(id=f"x{trial}", task_id=task.id, domain="mock", trial=0, messages=messages,
                            termination_reason=TerminationReason.USER_STOP, reward_info=info)
        runs.append(label_run(run, phase="zero_shot", stage="mock"))
    cut = runs[0].model_copy(update={"termination_reason": TerminationReason.MAX_TOKENS, "trial": 1})
    runs.append(label_run(cut, phase="zero_shot", stage="mock"))
    write_results_json(tmp_path / "results.json", runs, ["mock"], {"kind": "evaluation"})
    return tmp_path


def test_export_tau2_validates_against_tau2_schema_and_imports_back(tmp_path, capsys):
    run_dir = _our_run_dir(tmp_path / "run")
    ours = load_results(run_dir / "results.json")
    assert export_main(["--run-dir", str(run_dir), "--format", "tau2", "--data-dir", str(DATA)]) == 0
    [path] = [Path(line) for line in capsys.readouterr().out.split()]
    assert path == run_dir / "tau2_results" / "zero_shot" / "mock.json"
    document = json.loads(path.read_text())
    schema = json.loads((REFERENCE / "results_schema.json").read_text())
    jsonschema.validate(document, schema)  # raises with the first error
    assert len(list(jsonschema.Draft202012Validator(schema).iter_errors(document))) == 0
    assert document["info"]["environment_info"]["domain_name"] == "mock"
    assert document["simulations"][-1]["termination_reason"] == "context_window_exceeded"
    back = load_results(path)
    assert [r.reward_info.reward for r in back] == [r.reward_info.reward for r in ours]
    assert [r.task_id for r in back] == [r.task_id for r in ours]


def test_our_results_json_is_not_a_tau2_file_hence_the_export(tmp_path):
    """One file cannot serve both: ours spans domains and phases and has other check shapes."""
    run_dir = _our_run_dir(tmp_path)
    schema = json.loads((REFERENCE / "results_schema.json").read_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.loads((run_dir / "results.json").read_text())))
    assert errors  # e.g. no `tasks`, no info.environment_info
