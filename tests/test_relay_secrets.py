"""The API key never reaches a log line, a saved config, results or an error message.

A run-like session: flags -> config (key from a file) -> user simulators talking to a relay that
checks the key, with every logger at DEBUG (litellm's included) writing to the run's logs/, a
failing endpoint and a wrong key on the way. Then every file the run wrote, every captured log
record, stdout/stderr and the relay's own output are searched for the key.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path

import pytest
import yaml
from helpers import run_on_api_loop
from users_mock_agent import notification_task, run_conversation

from agentcl.registry import load_domain
from agentcl.secrets import install_log_redaction
from agentcl.users import UserConversation, UserSimulatorConfig, make_user_simulator, parse_user_flags
from agentcl.llm.client import LLMError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEBUG_LOGGERS = ("", "agentcl", "LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx", "httpcore", "openai")


def test_the_key_appears_nowhere_the_run_writes(tmp_path, relay_process, dead_endpoint_url, caplog, capfd):
    key = f"relay-secret-{uuid.uuid4().hex}"  # not sk-shaped: redaction must come from registration
    secrets_dir, out_dir = tmp_path / "secrets", tmp_path / "run"
    secrets_dir.mkdir()
    (out_dir / "logs").mkdir(parents=True)
    key_file = secrets_dir / "relay.key"
    key_file.write_text(key + "\n")
    relay = relay_process("--api-key-file", str(key_file), "--log-level", "DEBUG")

    install_log_redaction()
    handler = logging.FileHandler(out_dir / "logs" / "run.log")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    caplog.set_level(logging.DEBUG)  # first: caplog puts back, at teardown, the root level it finds now
    levels = {name: logging.getLogger(name).level for name in DEBUG_LOGGERS}
    logging.getLogger().addHandler(handler)
    for name in DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        config = parse_user_flags(([
            "--user-type", "openai_user_simulator", "--openai-api-base", relay.base_url,
            "--openai-api-key-file", str(key_file), "--openai-model", "scripted-user"]))
        print("config:", config)  # what a run prints at start
        (out_dir / "config.yaml").write_text(yaml.safe_dump(config.to_dict()))

        mock = load_domain("mock")
        simulator = make_user_simulator(config)
        results = []
        for task in [mock.tasks[0], mock.tasks[4], notification_task(mock.tasks[0])]:
            history, turns, _ = run_on_api_loop(run_conversation(simulator, task, mock))
            assert turns[-1].stop
            results.append({"task_id": task.id, "messages": [m.model_dump() for m in history]})

        errors = []
        for broken in (
            UserSimulatorConfig(user_type="openai_user_simulator", api_base=[dead_endpoint_url],
                                api_key_file=str(key_file), model="scripted-user", num_retries=1, backoff_base=0.01),
            UserSimulatorConfig(user_type="openai_user_simulator", api_base=[relay.base_url],
                                api_key=key[::-1], model="scripted-user"),
        ):
            try:
                run_on_api_loop(make_user_simulator(broken).respond(UserConversation(mock.tasks[0], "mock", [], None)))
            except LLMError as exc:
                logging.getLogger("agentcl.test").exception("user simulator failed")
                errors.append(str(exc))
        assert len(errors) == 2
        results.append({"errors": errors})
        (out_dir / "results.json").write_text(json.dumps(results, indent=1))
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    relay.stop()
    relay_output = relay.process.stdout.read()
    captured = capfd.readouterr()

    written = {p: p.read_text(errors="replace") for p in out_dir.rglob("*") if p.is_file()}
    assert set(written) == {out_dir / "config.yaml", out_dir / "results.json", out_dir / "logs" / "run.log"}
    log_text = written[out_dir / "logs" / "run.log"]
    # the search is only meaningful if the debug logs really recorded the traffic
    assert "agentcl.test" in log_text and re.search(r"LiteLLM|httpx|httpcore|openai", log_text)
    saved = yaml.safe_load(written[out_dir / "config.yaml"])
    assert saved["api_key_file"] == str(key_file) and saved["api_key"] is None  # the path is saved, not the key
    assert "config: UserSimulatorConfig(" in captured.out
    haystacks = {**{str(p): text for p, text in written.items()}, "caplog": caplog.text,
                 "stdout": captured.out, "stderr": captured.err, "relay output": relay_output}
    leaks = [where for where, text in haystacks.items() if key in text]
    assert not leaks, f"the key leaked into: {leaks}"


def test_run_with_accelerate_holds_no_key():
    script = REPO_ROOT / "run_with_accelerate.sh"
    if not script.exists():
        pytest.skip("run_with_accelerate.sh is not written yet")
    text = script.read_text()
    assert not re.search(r"\bsk-[A-Za-z0-9_\-]{8,}", text)
    assert not re.search(r"(?i)api[_-]?key\s*=\s*['\"]?[A-Za-z0-9_\-]{8,}", text)
