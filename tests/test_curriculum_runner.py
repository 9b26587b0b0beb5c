"""The curriculum runner: zero-shot + per-stage evaluation with the adapter each stage trained, resume.

Real parts throughout: the tiny local agent, the scripted customer, TRL GRPO steps with LoRA,
the results store and the report. Stages are two slices of the mock domain (its prompts are
short), so a whole curriculum takes seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from agentcl.config import RunConfig, parse_run_config
from agentcl.curriculum.stages import Stage

from curriculum_fixtures import TrialLengthUser
from helpers import REPO_ROOT

pytestmark = pytest.mark.slow

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

TRAINING_FLAGS = [
    "--model", "tiny", "--no-gradient-checkpointing", "--lora-r", "4", "--lora-alpha", "16", "--lora-dropout", "0",
    "--group-size", "4", "--tasks-per-step", "1", "--learning-rate", "0.05",
    "--max-new-tokens", "12", "--max-conversation-steps", "6", "--max-conversation-tokens", "1536",
    "--eval-trials", "2", "--seed", "3",
    # a random tiny model solves nothing; the conversation-length penalty still tells a group's
    # conversations apart (TrialLengthUser makes their lengths differ), so GRPO has a signal
    "--length-penalty", "--length-penalty-peak-ratio", "0.0",
]


def two_mock_stages(train=1, evaluate=2) -> list[Stage]:
    common = {"domain": "mock", "eval_split": "test", "max_eval_tasks": evaluate}
    return [Stage(name="mock_a", max_train_tasks=train, **common),
            Stage(name="mock_b", train_split="test", max_train_tasks=train, **common)]


def run_config(tmp_path, *extra: str) -> RunConfig:
    return parse_run_config([*TRAINING_FLAGS, "--domains", "mock", "--output-dir", str(tmp_path / "run"), *extra])


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from agentcl.curriculum.runner import run_curriculum

    tmp = tmp_path_factory.mktemp("curriculum")
    config = run_config(tmp, "--max-steps", "1", "--save-steps", "1")
    result = run_curriculum(config, stages=[Stage(name="mock", domain="mock", eval_split="test", max_train_tasks=2,
                                                  max_eval_tasks=2)],
                            user_simulator_factory=TrialLengthUser, progress=False)
    return config, result


def load_runs(run_dir):
    from agentcl.report import load_results

    return load_results(run_dir / "results.json")


def test_a_curriculum_writes_every_output(finished_run):
    config, result = finished_run
    run_dir = result.run_dir
    for name in ("config.yaml", "curriculum.json", "results.json", "metrics.json", "report.html",
                 "accuracy_matrix.png", "reward_curve.png", "pass_k.png"):
        assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 0, name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["stages"] == ["mock"]
    assert metrics["accuracy_matrix"]["rows"] == ["zero_shot", "after_stage_1"]
    assert all(v is not None for row in metrics["accuracy_matrix"]["values"] for v in row)
    runs = load_runs(run_dir)
    phases = sorted({r.phase for r in runs})
    assert phases == ["after_stage_1", "train", "zero_shot"]
    assert sum(r.phase == "train" for r in runs) == 4  # one step, G = 4
    for run in (r for r in runs if r.phase == "train"):  # each reward term's value (here: task reward, length penalty)
        terms = run.extra["reward_terms"]
        assert list(terms) == ["task_reward", "length_penalty"] and terms["task_reward"] == run.reward_info.reward
        assert terms["length_penalty"] <= 0 and run.extra["train_reward"] == pytest.approx(sum(terms.values()))
    assert result.outcomes[0].adapter_dir == str(run_dir / "adapters" / "mock")


def test_evaluation_after_a_stage_uses_the_adapter_it_trained(finished_run):
    from agentcl.curriculum.evaluate import EvalTarget, PolicyEvaluator, eval_settings_from_config
    from agentcl.registry import load_domain
    from agentcl.training.model_loading import load_policy

    config, result = finished_run
    adapter = result.outcomes[0].adapter_dir
    runs = load_runs(result.run_dir)
    after = {r.id.split("/", 1)[1]: r for r in runs if r.phase == "after_stage_1"}
    before = {r.id.split("/", 1)[1]: r for r in runs if r.phase == "zero_shot"}
    assert after and set(after) == set(before)
    assert {r.extra["policy"]["adapter"] for r in after.values()} == {adapter}
    assert {r.extra["policy"]["adapter"] for r in before.values()} == {None}

    base_model, tokenizer = load_policy(config.model)
    trained_model, _ = load_policy(config.model, adapter)
    # the adapter moved the policy: greedy continuations of a fixed prompt differ
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Please mark task_3 as completed."}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    outputs = [m.generate(**prompt, max_new_tokens=16, do_sample=False)[0].tolist()
               for m in (base_model, trained_model)]
    assert outputs[0] != outputs[1]

    # and it is exactly what was evaluated: replaying trial 0 with the saved adapter (same seed,
    # same batch) reproduces the stored conversations, while the base model reproduces zero-shot
    data = load_domain("mock")
    tasks = [data.task(r.task_id) for r in after.values() if r.trial == 0]
    settings = eval_settings_from_config(config, trials=1)
    for model, phase, stored in ((trained_model, "after_stage_1", after), (base_model, "zero_shot", before)):
        with PolicyEvaluator(tokenizer, TrialLengthUser(), settings=settings, progress=False) as evaluator:
            replay = evaluator.evaluate(model, [EvalTarget("mock", data, tasks)], phase=phase)
        for run in replay:
            assert run.messages == stored[run.id.split("/", 1)[1]].messages
    assert any(after[k].messages != before[k].messages for k in after)


def test_a_run_directory_is_not_reused_without_resume(finished_run):
    from agentcl.config import ConfigError
    from agentcl.curriculum.runner import run_curriculum

    config, _ = finished_run
    with pytest.raises(ConfigError, match="--resume"):
        run_curriculum(config, stages=[Stage(name="mock", domain="mock", eval_split="test")],
                       user_simulator_factory=TrialLengthUser, progress=False)


def test_resume_with_another_stage_list_is_refused(finished_run):
    from agentcl.curriculum.runner import run_curriculum
    from agentcl.errors import DataError

    config, _ = finished_run
    config.run.resume = True
    try:
        with pytest.raises(DataError, match="refusing to resume"):
            run_curriculum(config, stages=two_mock_stages(), user_simulator_factory=TrialLengthUser, progress=False)
    finally:
        config.run.resume = False


# --- kill -9 in the middle of a stage, then --resume ------------------------------------------

SCRIPT = textwrap.dedent("""
    import sys
    from curriculum_fixtures import TrialLengthUser
    from agentcl.config import parse_run_config
    from agentcl.curriculum.runner import run_curriculum
    from agentcl.curriculum.stages import Stage

    common = {"domain": "mock", "eval_split": "test", "max_eval_tasks": 2}
    stages = [Stage(name="mock_a", max_train_tasks=1, **common),
              Stage(name="mock_b", train_split="test", max_train_tasks=1, **common)]
    run_curriculum(parse_run_config(sys.argv[1:]), stages=stages, user_simulator_factory=TrialLengthUser,
                   progress=False)
""")


def _train_log(run_dir):
    path = run_dir / "train_log.jsonl"
    entries = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:  # a line still being written
            pass
    return entries


def test_killed_mid_stage_and_resumed_finishes_with_every_conversation_once(tmp_path):
    script = tmp_path / "run_curriculum.py"
    script.write_text(SCRIPT)
    run_dir = tmp_path / "run"
    flags = [*TRAINING_FLAGS, "--domains", "mock", "--output-dir", str(run_dir), "--max-steps", "2",
             "--save-steps", "1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT / "tests")]),
           "TRL_EXPERIMENTAL_SILENCE": "1"}
    proc = subprocess.Popen([sys.executable, str(script), *flags], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        # wait until the second stage has finished its first step (and saved checkpoint-1), then kill -9
        deadline = time.monotonic() + 600
        while not any(s["stage"] == "mock_b" for s in _train_log(run_dir)):
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it could be killed:\n{proc.stderr.read()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the second stage never started")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # killed in the middle of mock_b: its adapter is not final and nothing was evaluated after it
    assert not (run_dir / "adapters" / "mock_b" / "agentcl_stage.json").exists()
    assert "after_stage_2/" not in (run_dir / "results.jsonl").read_text()

    resumed = subprocess.run([sys.executable, str(script), *flags, "--resume"], env=env, capture_output=True,
                             text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "mock_a] already trained" in resumed.stdout

    document = json.loads((run_dir / "results.json").read_text())
    assert document["stages"] == ["mock_a", "mock_b"]
    ids = [s["id"] for s in document["simulations"]]
    assert len(ids) == len(set(ids)) == document["num_simulations"]
    evaluations = [i for i in ids if not i.startswith("train/")]
    # 3 phases (zero-shot, after mock_a, after mock_b) x 2 stages x 2 tasks x 2 trials, each once
    assert len(evaluations) == 3 * 2 * 2 * 2
    for phase in ("zero_shot", "after_stage_1", "after_stage_2"):
        for stage in ("mock_a", "mock_b"):
            assert sum(i.startswith(f"{phase}/{stage}/") for i in evaluations) == 4
    # training: 2 steps x G = 4 conversations per stage, none lost, none twice
    for stage in ("mock_a", "mock_b"):
        assert sum(i.startswith(f"train/{stage}/") for i in ids) == 2 * 4
    from agentcl.report import TrainingLog

    # a step redone after the resume replaces its first record
    assert [s["step"] for s in TrainingLog(run_dir).steps()] == [1, 2, 3, 4]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["accuracy_matrix"]["columns"] == ["mock_a", "mock_b"]
    assert all(v is not None for row in metrics["accuracy_matrix"]["values"] for v in row)
