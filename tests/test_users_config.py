"""User-simulator configuration: flags, environment, key files, endpoint files, clear errors, masking."""

from __future__ import annotations


import pytest

from agentcl.errors import UnknownNameError
from agentcl.secrets import MASK, Secret
from agentcl.users import UserConfigError, UserSimulatorConfig, make_user_simulator, parse_user_flags
from agentcl.users.config import OPENAI_DEFAULT_BASE, load_endpoints_file
from agentcl.llm.client import Endpoint, LLMClient


def parse(*argv: str) -> UserSimulatorConfig:
    return parse_user_flags(list(argv))


@pytest.fixture(autouse=True)
def no_openai_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)


def test_flags_fill_the_config():
    config = parse("--user-type", "openai_user_simulator", "--openai-api-base", "http://a:1/v1,http://b:2/v1",
                   "http://c:3/v1", "--openai-api-key", "flag-key-12345", "--openai-model", "m",
                   "--user-max-concurrency", "7", "--user-endpoint-max-concurrency", "3", "--user-rpm", "90",
                   "--user-timeout", "12", "--user-num-retries", "2", "--user-temperature", "0.5")
    assert config.api_base == ["http://a:1/v1", "http://b:2/v1", "http://c:3/v1"]
    assert config.api_key.get() == "flag-key-12345" and config.model == "m"
    assert (config.max_concurrency, config.endpoint_max_concurrency, config.rpm) == (7, 3, 90)
    assert (config.timeout, config.num_retries, config.temperature) == (12.0, 2, 0.5)
    endpoints = config.endpoints()
    assert [e.api_base for e in endpoints] == config.api_base
    assert {e.model for e in endpoints} == {"openai/m"} and {e.max_concurrency for e in endpoints} == {3}


def test_no_key_and_no_base_is_a_clear_error_naming_the_flags():
    with pytest.raises(UserConfigError) as info:
        make_user_simulator(parse())
    for flag in ("--openai-api-base", "--openai-api-key", "OPENAI_API_KEY", "--user-endpoints", "--user-type scripted"):
        assert flag in str(info.value)


def test_environment_variables_and_defaults(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-abcdef")
    (endpoint,) = parse().endpoints()
    assert endpoint.api_base == OPENAI_DEFAULT_BASE and endpoint.api_key.get() == "env-key-abcdef"
    assert endpoint.model == "openai/gpt-4.1-mini"
    monkeypatch.setenv("OPENAI_API_BASE", "http://relay:8765/v1")
    (endpoint,) = parse().endpoints()
    assert endpoint.api_base == "http://relay:8765/v1"


def test_key_file_wins_over_the_environment_and_a_missing_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-abcdef")
    key_file = tmp_path / "key.txt"
    key_file.write_text("file-key-123456\n")
    (endpoint,) = parse("--openai-api-key-file", str(key_file)).endpoints()
    assert endpoint.api_key.get() == "file-key-123456"
    with pytest.raises(UserConfigError, match="key file not found: .*missing.txt"):
        parse("--openai-api-key-file", str(tmp_path / "missing.txt"))


def test_a_base_without_a_key_works_for_local_relays():
    (endpoint,) = parse("--openai-api-base", "http://127.0.0.1:8765/v1").endpoints()
    assert not endpoint.api_key and endpoint.api_base == "http://127.0.0.1:8765/v1"


def test_user_simulator_takes_any_litellm_model_string():
    config = parse("--user-type", "user_simulator", "--user-model", "anthropic/claude-test")
    (endpoint,) = config.endpoints(provider="litellm")
    assert endpoint.model == "anthropic/claude-test" and endpoint.api_base is None
    with pytest.raises(UserConfigError, match="--user-model"):
        make_user_simulator(parse("--user-type", "user_simulator"))


def test_unknown_user_type_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as info:
        make_user_simulator(UserSimulatorConfig(user_type="nope"))
    assert "hf_user_simulator" in str(info.value) and "scripted" in str(info.value)


def test_saved_and_printed_configs_hold_no_key():
    config = parse("--openai-api-base", "http://x/v1", "--openai-api-key", "printed-key-98765")
    assert "printed-key-98765" not in repr(config) and "printed-key-98765" not in str(config.to_dict())
    assert config.to_dict()["api_key"] == MASK
    restored = UserSimulatorConfig.from_dict(config.to_dict())
    assert not restored.api_key and restored.api_base == ["http://x/v1"]  # the key is resolved again at run time
    with pytest.raises(UserConfigError, match="unknown user-simulator settings: colour"):
        UserSimulatorConfig.from_dict({"colour": "blue"})
    endpoint = Endpoint("openai/m", api_base="http://x/v1", api_key=Secret("printed-key-98765"))
    assert "printed-key-98765" not in repr(endpoint) and endpoint.to_dict()["api_key"] == MASK


def test_endpoints_file_forms_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAY_TEST_KEY", "endpoint-env-key-1")
    good = tmp_path / "endpoints.yaml"
    good.write_text("endpoints:\n"
                    "  - api_base: http://a/v1\n    model: small\n    api_key_env: RELAY_TEST_KEY\n"
                    "    max_concurrency: 4\n    rpm: 60\n"
                    "  - http://b/v1\n")
    first, second = load_endpoints_file(good, default_model="openai/default")
    assert (first.model, first.api_key.get(), first.max_concurrency, first.rpm) == ("openai/small", "endpoint-env-key-1", 4, 60)
    assert (second.model, second.api_base) == ("openai/default", "http://b/v1")

    cases = {
        "missing.yaml": "endpoints file not found",
        "bad.yaml": "not valid YAML",
        "empty.yaml": "non-empty list",
        "extra.yaml": "unknown keys",
        "nokey.yaml": "key file not found",
    }
    (tmp_path / "bad.yaml").write_text("endpoints: [unclosed")
    (tmp_path / "empty.yaml").write_text("endpoints: []")
    (tmp_path / "extra.yaml").write_text("- api_base: http://a/v1\n  colour: blue\n")
    (tmp_path / "nokey.yaml").write_text(f"- api_base: http://a/v1\n  api_key_file: {tmp_path / 'none.key'}\n")
    for name, message in cases.items():
        with pytest.raises(UserConfigError, match=message):
            load_endpoints_file(tmp_path / name, default_model="openai/m")


def test_client_limits_are_validated_and_errors_mask_registered_keys():
    with pytest.raises(ValueError, match="no endpoint"):
        LLMClient([], name="judge")
    with pytest.raises(ValueError, match="max_concurrency must be at least 1"):
        Endpoint("openai/m", max_concurrency=0)
    # a key that ended up inside a URL (a misconfiguration) is still masked in messages
    key = "url-embedded-key-777"
    client = LLMClient([Endpoint("openai/m", api_base=f"http://h/v1?key={key}", api_key=Secret(key))])
    message = client._message("no answer from", RuntimeError("boom"), 3, client.describe_endpoints())
    assert key not in message and MASK in message and "after 3 attempts" in message
