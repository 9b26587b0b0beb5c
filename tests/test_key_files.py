"""Issue 14, item 7: key files. A world-readable key file warns; an empty one stops the run; a key
given both as a flag and as a file is refused (before, all three passed silently)."""

from __future__ import annotations

import logging

import pytest

from agentcl.config import parse_run_config
from agentcl.errors import AgentclError

SECRET = "sk-" "keyfile-test-0123456789"


def _key_file(tmp_path, text, mode=0o600):
    path = tmp_path / "user.key"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_world_readable_key_file_warns_without_the_key(tmp_path, caplog):
    path = _key_file(tmp_path, SECRET + "\n", mode=0o644)
    with caplog.at_level(logging.WARNING):
        config = parse_run_config(["--openai-api-base", "http://127.0.0.1:9/v1", "--openai-api-key-file", str(path)])
        (endpoint,) = config.users.endpoints()
    assert endpoint.api_key.get() == SECRET
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("readable by every user" in w and str(path) in w for w in warnings)
    assert not any(SECRET in w for w in warnings)


def test_private_key_file_does_not_warn(tmp_path, caplog):
    path = _key_file(tmp_path, SECRET + "\n")
    with caplog.at_level(logging.WARNING):
        parse_run_config(["--openai-api-key-file", str(path)]).users.endpoints()
    assert not any("readable by every user" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("flag", ["--openai-api-key-file", "--judge-api-key-file"])
def test_empty_key_file_is_an_error(tmp_path, flag):
    path = _key_file(tmp_path, "  \n")
    with pytest.raises(AgentclError, match=f"API key file {path} is empty"):
        parse_run_config([flag, str(path)])


@pytest.mark.parametrize("flag", ["--openai-api-key", "--judge-api-key"])
def test_key_as_flag_and_file_conflict(tmp_path, flag):
    path = _key_file(tmp_path, SECRET)
    with pytest.raises(AgentclError) as err:
        parse_run_config([flag, "sk-" "other-flag-key-000000", f"{flag}-file", str(path)])
    assert f"both by {flag} and by {flag}-file" in str(err.value)
    assert SECRET not in str(err.value) and "other-flag-key" not in str(err.value)
