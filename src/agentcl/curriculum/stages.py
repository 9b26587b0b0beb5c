"""Curriculum stages: what each stage trains on, what it is evaluated on, and what it rehearses.

A `Stage` names one step of the curriculum (by default one per domain, named after it):

- learning tasks: the domain's `train_split` (at most `max_train_tasks`, in file order);
- evaluation tasks: the domain's `eval_split` (at most `max_eval_tasks`); every stage's evaluation
  tasks are run before any training (zero-shot) and after every stage, so the accuracy matrix
  R[i][j] is complete (earlier stages = retention, later stages = forward transfer);
- replay: a share `replay_ratio` of every training batch of this stage is drawn from the learning
  tasks of all earlier stages (0 by default: plain sequential fine-tuning; see `replay.py`).

Stages come from the run configuration (`--domains airline,retail`, `curriculum:` in YAML) through
`stages_from_config`, or from an explicit list (`parse_stages`) whose items are a domain name,
`"name=domain"`, or a mapping with the fields of `Stage`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..errors import DataError
from ..config import ConfigError
from .replay import ScheduledTask, replay_schedule

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data_model import Task
    from ..domains.base import DomainData
    from ..training.trainer import StageSpec


@dataclass(frozen=True)
class Stage:
    name: str
    domain: str
    data_dir: str | None = None  # τ²-format data (a domain folder or a folder of them); None: shipped data
    train_split: str = "train"
    eval_split: str = "test"
    max_train_tasks: int | None = None
    max_eval_tasks: int | None = None
    replay_ratio: float = 0.0  # share of each training batch drawn from earlier stages' learning tasks
    max_steps: int | None = None  # GRPO steps of this stage; None: --max-steps

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ConfigError(f"a stage name must be a non-empty string without '/', got {self.name!r}")
        if not self.domain:
            raise ConfigError(f"stage {self.name!r} has no domain")
        if self.max_steps is not None and (isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int)
                                           or self.max_steps < 1):
            raise ConfigError(f"stage {self.name!r}: max_steps must be a whole number >= 1, got {self.max_steps!r}")
        for key in ("max_train_tasks", "max_eval_tasks"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ConfigError(f"stage {self.name!r}: {key} must be at least 1 (or unset for all), got {value}")
        if not 0.0 <= self.replay_ratio < 1.0:
            raise ConfigError(f"stage {self.name!r}: replay_ratio must be in [0, 1), got {self.replay_ratio}")


_STAGE_KEYS = {f.name for f in dataclasses.fields(Stage)}


def _stage_from_item(item: Any, defaults: Mapping[str, Any], where: str) -> Stage:
    if isinstance(item, Stage):
        return item
    if isinstance(item, str):
        text = item.strip()
        name, _, domain = text.partition("=")
        values = {"name": name.strip(), "domain": (domain or name).strip()}
    elif isinstance(item, Mapping):
        unknown = sorted(set(item) - _STAGE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown stage key(s) {', '.join(unknown)}; known: {', '.join(sorted(_STAGE_KEYS))}")
        values = dict(item)
        if "domain" not in values and "name" in values:
            values["domain"] = values["name"]
        if "name" not in values and "domain" in values:
            values["name"] = values["domain"]
        if "domain" not in values:
            raise ConfigError(f"{where}: a stage needs a 'domain' (or a 'name' that is one)")
    else:
        raise ConfigError(f"{where}: a stage is a domain name, 'name=domain' or a mapping, got {item!r}")
    merged = {**defaults, **{k: v for k, v in values.items() if v is not None or k == "data_dir"}}
    if merged.get("data_dir") is not None:
        merged["data_dir"] = str(merged["data_dir"])
    return Stage(**merged)


def parse_stages(items: Sequence[Any], *, defaults: Mapping[str, Any] | None = None,
                 where: str = "curriculum") -> list[Stage]:
    """Stages from a list of domain names, 'name=domain' strings or mappings; `defaults` fill unset fields."""
    defaults = {k: v for k, v in (defaults or {}).items() if k in _STAGE_KEYS}
    if not items:
        raise ConfigError(f"{where}: the curriculum needs at least one stage")
    stages = [_stage_from_item(item, defaults, f"{where}[{i}]") for i, item in enumerate(items)]
    names = [s.name for s in stages]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        domain = next(s.domain for s in stages if s.name == duplicates[0])
        raise ConfigError(f"{where}: stage names must be unique; named twice: {', '.join(duplicates)} "
                          f"(name a repeated domain's stages apart: '{duplicates[0]}_again={domain}')")
    from ..registry import DOMAINS

    for stage in stages:
        if stage.domain not in DOMAINS:
            raise ConfigError(f"{where}: stage {stage.name!r} names unknown domain {stage.domain!r}; "
                              f"known domains: {', '.join(DOMAINS.names())}")
    # The trainer keys loaded domains by name: one domain cannot come from two data directories.
    dirs: dict[str, str | None] = {}
    for stage in stages:
        if dirs.setdefault(stage.domain, stage.data_dir) != stage.data_dir:
            raise ConfigError(f"{where}: domain {stage.domain!r} is read from two data directories "
                              f"({dirs[stage.domain]} and {stage.data_dir}); use one per domain")
    return stages


def stages_from_config(config: "RunConfig") -> list[Stage]:
    """One stage per domain of `config.curriculum.domains`, with the configured splits and task counts."""
    c = config.curriculum
    defaults = {
        "data_dir": c.data_dir,
        "train_split": c.train_split,
        "eval_split": c.eval_split,
        "max_train_tasks": c.tasks_per_domain,
        "max_eval_tasks": c.eval_tasks_per_domain,
        "replay_ratio": float(c.replay_ratio),
    }
    return parse_stages(list(c.domains), defaults=defaults, where="curriculum.domains")


def load_stage_file(path: str | Path, defaults: Mapping[str, Any] | None = None) -> list[Stage]:
    """Stages from a YAML file: a list of stages, or a mapping with a `stages:` list."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"stage file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    items = data.get("stages") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a list of stages or a mapping with a 'stages:' list")
    return parse_stages(items, defaults=defaults, where=str(path))


# --- the tasks of each stage ------------------------------------------------------------------

@dataclass
class StagePlan:
    """A stage with its loaded data and its task lists, ready to train and evaluate."""

    index: int  # 1-based position in the curriculum (the accuracy-matrix row after training it)
    stage: Stage
    data: "DomainData"
    train_tasks: list["Task"]
    eval_tasks: list["Task"]
    # the learning tasks of every earlier stage, which replay draws from (empty for the first stage)
    replay_pool: list[ScheduledTask] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.stage.name

    def training_task_ids(self) -> list[tuple[str, str]]:
        """(domain, task id) of this stage's own learning tasks."""
        return [(self.data.name, t.id) for t in self.train_tasks]

    @property
    def replays(self) -> bool:
        return self.stage.replay_ratio > 0 and bool(self.replay_pool)

    def steps(self, default: int) -> int:
        """This stage's GRPO steps: its own `max_steps`, else `default` (--max-steps)."""
        return self.stage.max_steps or default

    def training_spec(self, *, steps: int = 0, tasks_per_step: int = 1, seed: int = 0) -> "StageSpec":
        """The trainer's description of this stage (explicit task ids, so splits and caps apply).

        With replay, the task ids are the whole ordered schedule of `steps x tasks_per_step` slots
        (`replay_schedule`), and the spec says which of them are replayed and from which stage."""
        from ..training.trainer import StageSpec

        own = self.training_task_ids()
        if not self.replays:
            return StageSpec(name=self.name, domains=[self.data.name], task_ids=own, max_steps=self.stage.max_steps)
        rows = replay_schedule(own, self.replay_pool, ratio=self.stage.replay_ratio, steps=steps,
                               tasks_per_step=tasks_per_step, seed=seed + 1000 * self.index)
        domains = list(dict.fromkeys([self.data.name, *(r.domain for r in self.replay_pool)]))
        replayed = {(r.domain, r.task_id): r.replayed_from for r in rows if r.replayed_from is not None}
        return StageSpec(name=self.name, domains=domains, task_ids=[(r.domain, r.task_id) for r in rows],
                         ordered=True, replayed_from=replayed, max_steps=self.stage.max_steps)


def _cap(tasks: list["Task"], limit: int | None) -> list["Task"]:
    return list(tasks) if limit is None else list(tasks[:limit])


def plan_stages(stages: Sequence[Stage], *, need_train: bool = True,
                loaded: dict[tuple[str, str | None], "DomainData"] | None = None) -> list[StagePlan]:
    """Load every stage's domain data once and pick its learning, evaluation and replayable tasks.

    `need_train=False` (evaluation only) does not ask for the train split.
    """
    from ..registry import load_domain

    cache = loaded if loaded is not None else {}
    plans: list[StagePlan] = []
    for index, stage in enumerate(stages, start=1):
        key = (stage.domain, stage.data_dir)
        if key not in cache:
            cache[key] = load_domain(stage.domain, stage.data_dir)
        data = cache[key]
        eval_tasks = _cap(data.tasks_for_split(stage.eval_split), stage.max_eval_tasks)
        if not eval_tasks:
            raise DataError(f"stage {stage.name!r}: split {stage.eval_split!r} of domain {stage.domain!r} has no tasks",
                            path=data.directory)
        train_tasks: list["Task"] = []
        if need_train:
            train_tasks = _cap(data.tasks_for_split(stage.train_split), stage.max_train_tasks)
            if not train_tasks:
                raise DataError(f"stage {stage.name!r}: split {stage.train_split!r} of domain {stage.domain!r} "
                                "has no tasks", path=data.directory)
        own = {(data.name, t.id) for t in train_tasks}
        pool = [ScheduledTask(earlier.data.name, t.id, earlier.name) for earlier in plans
                for t in earlier.train_tasks if (earlier.data.name, t.id) not in own]
        plans.append(StagePlan(index, stage, data, train_tasks, eval_tasks, pool))
    return plans


def stage_names(stages: Iterable[Stage | StagePlan]) -> list[str]:
    return [s.name for s in stages]
