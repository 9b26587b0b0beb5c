"""RunConfig: defaults, YAML + flags precedence, clear errors, secrets masked, and the GRPO settings it makes."""

from __future__ import annotations

import pytest
import yaml

from agentcl.config import (
    DEFAULT_DOMAINS,
    DEFAULT_MODEL,
    ConfigError,
    RunConfig,
    format_config,
    parse_run_config,
)
from agentcl.secrets import MASK

KEY = "sk-" "unit-test-key-123456"  # split so no key-shaped literal is tracked


def write_yaml(tmp_path, data, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_defaults_are_the_gpu_run():
    config = parse_run_config([])
    assert config.model.name == DEFAULT_MODEL
    assert config.users.user_type == "openai_user_simulator"
    assert config.curriculum.domains == list(DEFAULT_DOMAINS)
    assert config.model.use_peft and not config.model.load_in_4bit and config.training.gradient_checkpointing
    assert config.training.loss_type == "dapo" and config.training.beta == 0.0
    assert config.training.learning_rate == 1e-5 and config.training.max_steps == 50  # our defaults, not TRL's
    assert config.users.seed == config.seed == 42


def test_flags_reach_every_section():
    config = parse_run_config([
        "--model", "tiny", "--domains", "mock,retail", "--data-dir", "/data", "--tasks-per-domain", "5",
        "--group-size", "4", "--lr", "2e-5", "--beta", "0.04", "--max-steps", "7", "--max-conversation-steps", "9",
        "--max-errors", "3", "--output-dir", "/tmp/x", "--user-type", "scripted", "--openai-api-base",
        "http://relay/v1", "--openai-model", "m", "--judge-model", "judge", "--judge-coefficient", "0.3",
        "--seed", "3", "--load-in-4bit", "--loss-type", "grpo", "--report-to", "tensorboard,wandb", "--resume",
    ])
    assert (config.model.name, config.model.load_in_4bit) == ("tiny", True)
    assert config.curriculum.domains == ["mock", "retail"] and config.curriculum.data_dir == "/data"
    assert config.curriculum.tasks_per_domain == 5
    t = config.training
    assert (t.num_generations, t.learning_rate, t.beta, t.max_steps, t.loss_type) == (4, 2e-5, 0.04, 7, "grpo")
    assert t.report_to == ["tensorboard", "wandb"] and config.run.resume
    assert (config.rollout.max_conversation_steps, config.rollout.max_errors) == (9, 3)
    assert config.training.output_dir == "/tmp/x"
    assert config.users.user_type == "scripted" and config.users.api_base == ["http://relay/v1"]
    assert config.users.model == "m" and config.users.seed == 3
    assert config.judge.model == "judge" and config.judge.judge_coefficient == 0.3
    assert config.seed == 3


def test_every_grpo_field_is_a_flag_and_a_yaml_key_without_being_named_in_our_code(tmp_path):
    # fields our code never mentions: TRL's own settings reach GRPOConfig from a flag and from YAML
    config = parse_run_config(["--mask_truncated_completions", "true", "--reward_weights", "1.0", "0.5",
                               "--adam-beta2", "0.99"])
    assert config.training.mask_truncated_completions is True and config.training.adam_beta2 == 0.99
    assert config.training.reward_weights == [1.0, 0.5]
    path = write_yaml(tmp_path, {"top_entropy_quantile": 0.2, "delta": 2.0, "importance_sampling_level": "sequence"})
    t = parse_run_config(["--config", path]).training
    assert (t.top_entropy_quantile, t.delta, t.importance_sampling_level) == (0.2, 2.0, "sequence")


def test_yaml_then_flags_override(tmp_path):
    path = write_yaml(tmp_path, {
        "model_name_or_path": "tiny", "lora_r": 8,
        "learning_rate": "1e-4", "num_generations": 4, "report_to": ["tensorboard"],
        "user_type": "scripted", "user_temperature": 0.5, "user_max_concurrency": 8,
        "judge_coefficient": 0.2, "seed": 5, "domains": "mock,retail",
    })
    config = parse_run_config(["--config", path, "--group-size", "6", "--judge-coefficient", "0.7"])
    assert config.model.name == "tiny" and config.model.lora_r == 8
    assert config.training.learning_rate == 1e-4  # from YAML (a string YAML reads as "1e-4" is accepted)
    assert config.training.num_generations == 6  # the flag wins
    assert config.training.report_to == ["tensorboard"]
    assert config.curriculum.domains == ["mock", "retail"]
    assert config.users.user_type == "scripted" and config.users.temperature == 0.5
    assert config.users.max_concurrency == 8
    assert config.judge.judge_coefficient == 0.7  # the flag wins over the YAML
    assert config.seed == 5 and config.users.seed == 5


def test_a_flag_equal_to_its_default_still_beats_the_yaml(tmp_path):
    # the defect of the hand-written merge: 32 is the flag's default, so it used to lose to the YAML's 8
    path = write_yaml(tmp_path, {"user_max_concurrency": 8, "judge_max_concurrency": 4, "learning_rate": 3e-4,
                                 "lora_r": 8})
    config = parse_run_config(["--config", path, "--user-max-concurrency", "32", "--judge-max-concurrency", "32",
                               "--learning-rate", "1e-5", "--lora-r", "16"])
    assert config.users.max_concurrency == 32 and config.judge.max_concurrency == 32
    assert config.training.learning_rate == 1e-5 and config.model.lora_r == 16
    assert parse_run_config(["--config", path]).users.max_concurrency == 8


@pytest.mark.parametrize("data, needle", [
    ({"learnin_rate": 1}, "'learnin_rate'"),
    ({"training": {"learning_rate": 1}}, "flat"),
    ({"user_no_such": 1}, "user_no_such"),
    ({"lora_r": "eight"}, "lora_r"),
    ({"max_steps": "many"}, "max_steps"),
    ({"nl_judge": "oracle"}, "nl_judge"),
    ({"user_temperature": "hot"}, "user_temperature"),
    ({"judge_max_concurrency": "many"}, "judge_max_concurrency"),
])
def test_bad_yaml_names_the_key(tmp_path, data, needle):
    path = write_yaml(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        parse_run_config(["--config", path])
    assert needle in str(info.value) and path in str(info.value)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        parse_run_config(["--config", str(tmp_path / "nope.yaml")])


@pytest.mark.parametrize("key", ["openai_api_key", "judge_api_key"])
def test_keys_never_come_from_yaml(tmp_path, key):
    path = write_yaml(tmp_path, {key: KEY})
    with pytest.raises(ConfigError) as info:
        parse_run_config(["--config", path])
    assert key in str(info.value) and KEY not in str(info.value)


def test_key_is_masked_when_printed_and_saved_and_the_saved_file_loads_back(tmp_path):
    config = parse_run_config(["--openai-api-key", KEY, "--model", "tiny", "--group-size", "4",
                               "--output-dir", str(tmp_path / "out"), "--judge-coefficient", "0.1",
                               "--adam-beta2", "0.98"])
    assert config.users.api_key.get() == KEY
    printed = format_config(config)
    assert KEY not in printed and MASK in printed
    saved = config.save(config.training.output_dir)
    text = saved.read_text()
    assert KEY not in text and MASK in text
    # the saved file is a valid --config: same settings, the key resolved again from flags or environment
    again = parse_run_config(["--config", str(saved)])
    assert again.to_dict() == {**config.to_dict(), "openai_api_key": None}
    assert again.training.adam_beta2 == 0.98 and again.users.api_key.get() is None


def test_presets_are_yaml_files_applied_before_yaml_and_flags(tmp_path):
    from agentcl.config import PRESET_DIR

    assert (PRESET_DIR / "demo.yaml").is_file()
    config = parse_run_config(["--preset", "demo", "--max-steps", "5"])
    assert config.run.preset == "demo" and config.run.local_relay and config.model.name == "tiny"
    assert config.training.max_steps == 5  # the flag wins over the preset
    path = write_yaml(tmp_path, {"preset": "demo", "num_generations": 2})
    config = parse_run_config(["--config", path])
    assert config.model.name == "tiny" and config.training.num_generations == 2
    with pytest.raises(ConfigError, match="unknown preset"):
        parse_run_config(["--preset", "nowhere"])


@pytest.mark.parametrize("argv, needle", [
    (["--load-in-4bit", "--no-lora"], "QLoRA"),
    (["--group-size", "1"], "--group-size"),
    (["--domains", "airline,nowhere"], "unknown domain 'nowhere'"),
    (["--domains", "mock,mock"], "twice"),
    (["--user-type", "robot"], "robot"),
    (["--max-steps", "0"], "--max-steps"),
    (["--nl-judge", "llm"], "judge"),
])
def test_bad_combinations_are_refused(argv, needle):
    with pytest.raises(ConfigError) as info:
        parse_run_config(argv)
    assert needle in str(info.value)


def test_unknown_flag_exits_with_usage(capsys):
    with pytest.raises(SystemExit):
        parse_run_config(["--learning-rat", "1"])
    assert "usage" in capsys.readouterr().err


def test_help_lists_the_user_simulator_flags(capsys):
    with pytest.raises(SystemExit):
        parse_run_config(["--help"])
    out = capsys.readouterr().out
    for flag in ("--openai-api-base", "--openai-api-key", "--openai-model", "--user-type", "--config", "--preset",
                 "--model", "--learning-rate", "--num-generations", "--judge-model"):
        assert flag in out


# --- what the config becomes for TRL --------------------------------------------------------

def grpo_for(argv, processes=1):
    from agentcl.training.grpo_args import build_grpo_config

    config = parse_run_config(argv)
    return build_grpo_config(config, "/tmp/agentcl-test-ckpt", processes)


def test_grpo_config_carries_the_training_settings():
    args = grpo_for(["--group-size", "4", "--tasks-per-step", "3", "--lr", "3e-5", "--beta", "0.01",
                     "--loss-type", "dr_grpo", "--max-steps", "11", "--save-steps", "5", "--max-conversation-tokens",
                     "2048", "--report-to", "tensorboard", "--gradient-checkpointing", "false"])
    assert args.num_generations == 4 and args.generation_batch_size == 12
    # one optimizer step per batch of rollouts: all 12 conversations, accumulated over micro-batches
    assert args.per_device_train_batch_size * args.gradient_accumulation_steps == 12
    assert args.steps_per_generation == args.gradient_accumulation_steps
    assert (args.learning_rate, args.beta, args.loss_type, args.max_steps) == (3e-5, 0.01, "dr_grpo", 11)
    assert args.save_steps == 5 and args.save_strategy == "steps"
    assert args.max_completion_length == 2048
    assert args.report_to == ["tensorboard"] and not args.gradient_checkpointing
    assert args.use_cpu and not args.bf16 and not args.fp16  # fp32 on CPU
    assert args.remove_unused_columns is False


def test_batch_layout_over_processes_and_micro_batches():
    from agentcl.config import RunArgs, batch_layout

    run = RunArgs(tasks_per_step=2)
    assert batch_layout(4, run, 2) == (4, 1)  # each process: one task's 4 conversations
    run.micro_batch_size = 2
    assert batch_layout(4, run, 2) == (2, 2)
    run.micro_batch_size = 3
    with pytest.raises(ConfigError, match="micro-batch"):
        batch_layout(4, run, 2)
    run.micro_batch_size = None
    with pytest.raises(ConfigError, match="processes"):
        batch_layout(4, run, 3)


def test_lora_and_qlora_settings_come_from_trl_model_config():
    from agentcl.config import ModelArgs
    from agentcl.training.model_loading import lora_config, quantization_config

    lora = lora_config(ModelArgs(lora_r=8, lora_alpha=16))
    assert lora.r == 8 and lora.lora_alpha == 16 and "q_proj" in lora.target_modules
    assert "down_proj" in lora.target_modules  # our default: every linear layer of the block
    assert lora_config(ModelArgs(use_peft=False)) is None
    assert quantization_config(ModelArgs()) is None
    q = quantization_config(ModelArgs(load_in_4bit=True))
    assert q.load_in_4bit and q.bnb_4bit_quant_type == "nf4" and q.bnb_4bit_use_double_quant
    with pytest.raises(ConfigError):
        quantization_config(ModelArgs(load_in_4bit=True, use_peft=False))


def test_lora_module_lists_take_commas_and_reach_the_adapter():
    from agentcl.training.model_loading import lora_config

    config = parse_run_config(["--lora-modules-to-save=norm,lm_head", "--lora-target-modules=q_proj, v_proj"])
    assert config.model.lora_modules_to_save == ["norm", "lm_head"]
    assert config.model.lora_target_modules == ["q_proj", "v_proj"]
    lora = lora_config(config.model)
    assert set(lora.modules_to_save) == {"norm", "lm_head"} and set(lora.target_modules) == {"q_proj", "v_proj"}
    assert parse_run_config(["--lora-target-modules=all-linear"]).model.lora_target_modules == "all-linear"
    assert parse_run_config([]).model.lora_modules_to_save is None
    assert parse_run_config(["--lora-modules-to-save=norm", "--lora-modules-to-save="]).model.lora_modules_to_save is None


def test_runconfig_built_in_code_saves_a_loadable_flat_file(tmp_path):
    config = RunConfig()
    data = config.to_dict()
    assert {"model_name_or_path", "domains", "user_type", "judge_model", "learning_rate", "output_dir"} <= set(data)
    path = config.save(tmp_path)
    assert parse_run_config(["--config", str(path)]).training.learning_rate == config.training.learning_rate


def test_default_curriculum_is_airline_retail_telecom():
    assert list(parse_run_config([]).curriculum.domains) == ["airline", "retail", "telecom"]
