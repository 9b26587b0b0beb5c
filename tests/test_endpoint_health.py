"""Issue 14, item 4: a user simulator (or judge) that cannot answer stops the run with a clear
error before training, and a step whose conversations mostly lost their user stops training.

Before the fix, a closed port or a wrong key (401) gave a run that exited 0 after training and
evaluating on 100% `user_error` conversations. Endpoints here are the real local relay and a
real closed port, through the real litellm client.
"""

from __future__ import annotations

import pytest

from agentcl.data_model import TerminationReason
from agentcl.rewards.judge.config import JudgeConfig
from agentcl.rewards.judge.runtime import JudgeRuntime
from agentcl.secrets import Secret
from agentcl.training.endpoint_health import EndpointCheckError, TooManyUserErrors, UserErrorGuard, check_endpoints
from agentcl.users.config import UserSimulatorConfig
from agentcl.users.litellm_user import OpenAIUserSimulator


def _simulator(url: str, key: str | None = None) -> OpenAIUserSimulator:
    return OpenAIUserSimulator.from_config(UserSimulatorConfig(
        user_type="openai_user_simulator", model="scripted-user", api_base=[url], api_key=Secret(key),
        num_retries=1, timeout=5.0))


def test_closed_port_fails_fast_naming_the_endpoint(dead_endpoint_url):
    with pytest.raises(EndpointCheckError) as err:
        check_endpoints(_simulator(dead_endpoint_url))
    assert dead_endpoint_url in str(err.value) and "does not answer" in str(err.value)


def test_wrong_key_fails_fast_without_showing_it(relay_server):
    relay = relay_server(api_key="relay-key-right-0001")
    with pytest.raises(EndpointCheckError) as err:
        check_endpoints(_simulator(relay.base_url, key="relay-key-wrong-0002"))
    assert "refuses the API key" in str(err.value) and relay.base_url in str(err.value)
    assert "relay-key-wrong-0002" not in str(err.value)


def test_live_relay_passes_even_with_transient_faults(relay_server):
    relay = relay_server(api_key="relay-key-right-0001", rate_429=0.3, rate_500=0.3)
    assert check_endpoints(_simulator(relay.base_url, key="relay-key-right-0001")) == 1


def test_dead_judge_fails_fast(relay_server, dead_endpoint_url):
    relay = relay_server()
    judge = JudgeRuntime(JudgeConfig(model="judge", api_base=[dead_endpoint_url], nl_judge="llm", num_retries=0,
                                     timeout_s=5.0))
    try:
        with pytest.raises(EndpointCheckError, match=r"judge endpoint .*does not answer"):
            check_endpoints(_simulator(relay.base_url), judge)
    finally:
        judge.close()


def test_user_error_share_over_the_limit_stops():
    guard = UserErrorGuard(0.5)
    guard.check(["user_stop", "user_error"], step=1, stage="mock")  # 50% is not over 50%
    with pytest.raises(TooManyUserErrors, match=r"stage 'mock' step 2: 3 of 4 .*75% > 50%"):
        guard.check([TerminationReason.USER_ERROR.value] * 3 + ["agent_stop"], step=2, stage="mock")
    UserErrorGuard(1.0).check(["user_error"] * 4, step=3, stage="mock")  # 1 = never stop


def test_training_step_with_mostly_user_errors_stops_after_saving_it(tmp_path):
    """The trainer's record callback (real store, real single-process accelerator state) saves the
    step's conversations, then stops the run."""
    from types import SimpleNamespace

    from agentcl.report import ResultsStore
    from agentcl.training.callbacks import TrainingRecordCallback
    from agentcl.training.model_loading import process_state
    from agentcl.training.rewards import ConversationBuffer
    from test_report_fixtures import make_run

    buffer = ConversationBuffer()
    callback = TrainingRecordCallback(stage="mock", run_dir=tmp_path, buffer=buffer, accelerator=process_state(),
                                      num_generations=4, max_user_error_share=0.5)
    lost = [make_run("mock_complete_1", succeed=False, termination=TerminationReason.USER_ERROR) for _ in range(3)]
    runs = lost + [make_run("mock_complete_1", succeed=True)]
    records = [run.model_copy(update={"id": f"c{i}"}).model_dump(mode="json") for i, run in enumerate(runs)]
    buffer.take = lambda: records  # what ConversationBuffer.take() gives after a step of these four conversations
    with pytest.raises(TooManyUserErrors, match="3 of 4 conversations ended in user_error"):
        callback.on_step_end(None, SimpleNamespace(global_step=1), SimpleNamespace())
    assert len(ResultsStore(tmp_path).runs()) == 4  # saved before stopping


def test_run_stops_before_training_on_a_dead_simulator(tmp_path, dead_endpoint_url, capsys):
    import run

    out = tmp_path / "out"
    code = run.main(["--model", "tiny", "--domains", "mock", "--tasks-per-domain", "1", "--eval-tasks-per-domain", "1",
                     "--eval-trials", "1", "--max-steps", "1", "--group-size", "2", "--tasks-per-step", "1",
                     "--train-split", "base", "--eval-split", "base", "--user-type", "openai_user_simulator",
                     "--openai-api-base", dead_endpoint_url, "--openai-model", "scripted-user",
                     "--output-dir", str(out)])
    assert code == 2
    assert "does not answer" in capsys.readouterr().err
    assert not (out / "results.jsonl").exists() and not (out / "checkpoints").exists()
