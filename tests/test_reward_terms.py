"""The reward terms (rewards/terms.py) as TRL adds them up, the length-penalty curve, and the judge flags."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from types import SimpleNamespace

import pytest

from agentcl.data_model import RewardInfo
from agentcl.rewards.pending import PendingConversationReward
from agentcl.rewards.terms import LengthPenalty, length_penalty, reward_funcs, term_weights
from agentcl.rewards.judge.config import JudgeConfig, JudgeConfigError, parse_judge_flags
from agentcl.secrets import Secret


def test_length_penalty_curve_is_flat_then_parabolic_then_capped():
    shape = dict(peak_ratio=0.5, outer_ratio=1.0, penalty_scale=0.5, max_penalty=1.0)
    assert length_penalty(0, 1000, **shape) == 0.0
    assert length_penalty(500, 1000, **shape) == 0.0  # up to the peak ratio: no penalty
    assert length_penalty(750, 1000, **shape) == pytest.approx(0.125)  # halfway: scale x 0.5^2
    assert length_penalty(1000, 1000, **shape) == pytest.approx(0.5)  # the outer ratio: exactly the scale
    assert length_penalty(1250, 1000, **shape) == pytest.approx(1.0)  # beyond: the same parabola ...
    assert length_penalty(5000, 1000, **shape) == 1.0  # ... capped at max_penalty
    values = [length_penalty(t, 1000, **shape) for t in range(0, 2001, 50)]
    assert values == sorted(values)  # never decreases with length


def test_length_penalty_rejects_bad_shapes_and_inputs():
    with pytest.raises(ValueError, match="peak_ratio < outer_ratio"):
        LengthPenalty(peak_ratio=0.8, outer_ratio=0.8)
    with pytest.raises(ValueError, match=">= 0"):
        LengthPenalty(penalty_scale=-1)
    with pytest.raises(ValueError, match="max_tokens"):
        length_penalty(10, 0)


def _pending(task_reward=1.0, quality=None, completion_tokens=None):
    """A finished conversation's pending reward, its judge answer (if any) already in."""
    judged = None
    if quality is not None:
        judged = concurrent.futures.Future()
        judged.set_result(quality)
    return PendingConversationReward(RewardInfo(reward=task_reward), quality=judged,
                                     completion_tokens=completion_tokens)


def trl_total(judge_config, pending, *, max_tokens=1000, partial_credit=0.0):
    """What TRL trains on: every term's function called with the rollout's columns, then
    Σ weight × value with None counting 0 (GRPOTrainer's nansum over reward_weights)."""
    weights = term_weights(judge_config, partial_credit)
    funcs = reward_funcs(judge_config, max_tokens=max_tokens, partial_credit=partial_credit)
    assert [f.__name__ for f in funcs] == list(weights)  # TRL logs rewards/<name>/mean
    n = len(pending)
    columns = dict(prompts=[None] * n, completions=[None] * n, reward_pending=pending)
    values = {}
    for name, f in zip(weights, funcs):
        out = f(**columns)
        values[name] = asyncio.run(out) if inspect.isawaitable(out) else out
    totals = [sum(weights[name] * values[name][i] for name in weights if values[name][i] is not None)
              for i in range(n)]
    return totals, values


def test_only_the_task_reward_counts_by_default():
    config = JudgeConfig()
    assert term_weights(config) == {"task_reward": 1.0}
    totals, values = trl_total(config, [_pending(1.0, completion_tokens=4000), _pending(0.0)])
    assert totals == [1.0, 0.0] and list(values) == ["task_reward"]


def test_every_term_when_switched_on():
    config = JudgeConfig(judge_coefficient=0.5, length_penalty=True)
    assert term_weights(config) == {"task_reward": 1.0, "judge": 0.5, "length_penalty": 1.0}
    totals, values = trl_total(config, [_pending(1.0, 0.8, 750), _pending(0.0, None, 100)])
    assert totals == pytest.approx([1.0 + 0.5 * 0.8 - 0.125, 0.0])  # what the composer gave before
    assert values["judge"] == [0.8, None]  # a conversation cut by a limit is not judged: no judge term
    assert values["length_penalty"] == pytest.approx([-0.125, -0.0])
    with pytest.raises(ValueError, match="completion_tokens"):
        trl_total(config, [_pending(1.0, 0.5, None)])


def test_the_weights_reach_grpo_config_one_per_term():
    from agentcl.config import ConfigError, parse_run_config
    from agentcl.training.grpo_args import build_grpo_config

    def weights(argv):
        return build_grpo_config(parse_run_config(argv), "/tmp/agentcl-test-ckpt", 1).reward_weights

    assert weights([]) == [1.0]
    assert weights(["--judge-coefficient", "0.3", "--length-penalty", "--partial-credit", "0.5"]) == [
        1.0, 0.3, 1.0, 0.5]
    assert weights(["--partial-credit", "0.5", "--reward_weights", "2", "1"]) == [2.0, 1.0]  # GRPOConfig's own flag
    with pytest.raises(ConfigError, match="task_reward, partial_credit"):
        weights(["--partial-credit", "0.5", "--reward_weights", "1"])


def _parse(argv):
    return parse_judge_flags(argv)


def test_flags_fill_the_judge_config_and_the_terms_read_it(tmp_path):
    key_file = tmp_path / "judge.key"
    key_file.write_text("sk-" "judge-file-key-0123456789\n")
    config = _parse(["--judge-model", "openai/gpt-4.1-mini", "--judge-api-base", "http://a/v1,http://b/v1",
                     "--judge-api-key-file", str(key_file), "--judge-max-concurrency", "8",
                     "--judge-cache-dir", str(tmp_path / "cache"), "--judge-fallback-score", "0.5",
                     "--judge-coefficient", "0.2", "--length-penalty", "--length-penalty-peak-ratio", "0.6",
                     "--length-penalty-outer-ratio", "0.9", "--length-penalty-scale", "0.3",
                     "--length-penalty-max", "0.4", "--nl-judge", "llm"])
    config.validate()
    assert config.api_base == ["http://a/v1", "http://b/v1"]
    assert config.api_key.get() == "sk-" "judge-file-key-0123456789"
    assert "sk-judge" not in repr(config)  # the key prints masked
    assert (config.max_concurrency, config.fallback_score, config.nl_judge_kind(),
            config.quality_judge_kind()) == (8, 0.5, "llm", "llm")
    assert term_weights(config) == {"task_reward": 1.0, "judge": 0.2, "length_penalty": 1.0}
    assert config.length_penalty_shape() == LengthPenalty(0.6, 0.9, 0.3, 0.4)


def test_defaults_are_offline_and_off():
    config = _parse([])
    config.validate()
    assert config.model is None and config.max_concurrency == 32
    assert config.nl_judge_kind() == "heuristic" and config.quality_judge_kind() is None
    assert config.length_penalty_shape() is None and term_weights(config) == {"task_reward": 1.0}


def test_endpoint_and_key_default_to_the_user_simulators(monkeypatch):
    monkeypatch.delenv("AGENTCL_JUDGE_API_KEY", raising=False)
    user = SimpleNamespace(api_base="http://user-sim/v1", api_key=Secret("sk-" "user-key-0123456789"))
    assert JudgeConfig(model="judge").endpoint(user) == (["http://user-sim/v1"], Secret("sk-" "user-key-0123456789"))
    own = JudgeConfig(model="judge", api_base="http://judge/v1", api_key=Secret("sk-" "judge-key-0123456789"))
    assert own.endpoint(user) == (["http://judge/v1"], Secret("sk-" "judge-key-0123456789"))
    monkeypatch.setenv("AGENTCL_JUDGE_API_KEY", "sk-" "env-key-0123456789")
    assert JudgeConfig(model="judge").endpoint(user)[1].get() == "sk-" "env-key-0123456789"


def test_judge_endpoints_inherit_the_user_simulators_with_the_judge_model(tmp_path, monkeypatch):
    from agentcl.rewards.judge.client import judge_endpoints
    from agentcl.users.config import UserSimulatorConfig

    monkeypatch.delenv("AGENTCL_JUDGE_API_KEY", raising=False)
    user = UserSimulatorConfig(api_base=["http://relay:8765/v1"], api_key=Secret("sk-" "user-key-0123456789"))
    (endpoint,) = judge_endpoints(JudgeConfig(model="judge"), user)
    assert (endpoint.model, endpoint.api_base, endpoint.api_key.get()) == (
        "openai/judge", "http://relay:8765/v1", "sk-" "user-key-0123456789")
    listed = tmp_path / "endpoints.yaml"
    listed.write_text("- api_base: http://a/v1\n  api_key: sk-a-key-0123456789\n- api_base: http://b/v1\n")
    from_file = judge_endpoints(JudgeConfig(model="openai/judge-x"), UserSimulatorConfig(endpoints_file=str(listed)))
    assert [(e.model, e.api_base) for e in from_file] == [("openai/judge-x", "http://a/v1"),
                                                         ("openai/judge-x", "http://b/v1")]
    own = judge_endpoints(JudgeConfig(model="gpt-4.1-mini", api_base="http://judge/v1"), user)
    assert [(e.model, e.api_base, e.api_key.get()) for e in own] == [
        ("openai/gpt-4.1-mini", "http://judge/v1", "sk-" "user-key-0123456789")]


@pytest.mark.parametrize("argv,message", [
    (["--nl-judge", "llm"], "no --judge-model"),
    (["--judge-max-concurrency", "0"], "--judge-max-concurrency"),
    (["--judge-fallback-score", "2"], "--judge-fallback-score"),
    (["--length-penalty", "--length-penalty-peak-ratio", "1.0"], "--length-penalty"),
])
def test_bad_settings_name_their_flag(argv, message):
    with pytest.raises(JudgeConfigError, match=message):
        _parse(argv).validate()


def test_the_run_config_fills_the_judge_section_from_flags_and_yaml(tmp_path):
    from agentcl.config import parse_run_config
    from agentcl.rewards.judge.client import judge_endpoints

    config = parse_run_config(["--judge-model", "judge", "--judge-coefficient", "0.3", "--length-penalty",
                               "--judge-api-key", "sk-" "judge-flag-key-0123456789"])
    assert isinstance(config.judge, JudgeConfig)
    assert (config.judge.model, config.judge.judge_coefficient, config.judge.length_penalty) == ("judge", 0.3, True)
    assert "sk-judge-flag-key" not in config.to_yaml()
    settings = tmp_path / "run.yaml"
    settings.write_text("judge_model: judge\njudge_api_base: http://127.0.0.1:8765/v1\njudge_max_concurrency: 8\n")
    from_yaml = parse_run_config(["--config", str(settings)]).judge
    from_yaml.validate()
    assert from_yaml.api_base == ["http://127.0.0.1:8765/v1"] and from_yaml.max_concurrency == 8
    assert [e.describe() for e in judge_endpoints(from_yaml)] == ["openai/judge @ http://127.0.0.1:8765/v1"]
