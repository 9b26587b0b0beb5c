"""config.yaml keeps every setting and masks every secret."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agentcl.report import write_config_yaml
from agentcl.report.config_dump import is_secret_key
from agentcl.secrets import MASK, Secret, register_secret


class Mode(enum.Enum):
    LORA = "lora"


@dataclass
class UserConfig:
    model: str = "openai/gpt-4.1-mini"
    api_key: Secret = field(default_factory=lambda: Secret("sk-" "user-key-0123456789abcdef"))
    api_base: str = "http://127.0.0.1:8000/v1"
    max_tokens: int = 512


@dataclass
class RunConfig:
    output_dir: Path = Path("runs/demo")
    mode: Mode = Mode.LORA
    stages: tuple = ("mock", "airline")
    user: UserConfig = field(default_factory=UserConfig)
    judge: dict = field(default_factory=lambda: {"api_key": "plain-judge-key", "hf_token": "hf_abcdef", "pad_token": "<pad>"})
    empty_key: Secret = field(default_factory=lambda: Secret(None))
    notes: str = "launched with --api-key registered-key-XYZ-123"


def test_config_yaml_masks_secrets_and_keeps_the_rest(tmp_path):
    register_secret("registered-key-XYZ-123")
    path = write_config_yaml(tmp_path, RunConfig())
    assert path == tmp_path / "config.yaml"
    text = path.read_text(encoding="utf-8")
    for secret in ("sk-" "user-key-0123456789abcdef", "plain-judge-key", "hf_abcdef", "registered-key-XYZ-123"):
        assert secret not in text
    data = yaml.safe_load(text)
    assert data["user"] == {"model": "openai/gpt-4.1-mini", "api_key": MASK, "api_base": "http://127.0.0.1:8000/v1", "max_tokens": 512}
    assert data["judge"] == {"api_key": MASK, "hf_token": MASK, "pad_token": "<pad>"}
    assert data["empty_key"] is None
    assert data["output_dir"] == "runs/demo" and data["mode"] == "lora" and data["stages"] == ["mock", "airline"]
    assert data["notes"] == f"launched with --api-key {MASK}"


def test_secret_key_names():
    secret = ["api_key", "judge_api_key", "hf_token", "password", "client_secret", "OPENAI_API_KEY"]
    plain = ["api_key_file", "api_key_env", "max_tokens", "max_new_tokens", "pad_token", "tokenizer", "model"]
    assert [k for k in secret if not is_secret_key(k)] == []
    assert [k for k in plain if is_secret_key(k)] == []


def test_config_yaml_to_an_explicit_file(tmp_path):
    path = write_config_yaml(tmp_path / "sub" / "run.yaml", {"seed": 3})
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"seed": 3}
