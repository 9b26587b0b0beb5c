"""A domain: its toolkits and file names (DomainSpec) and its data read from a τ²-format directory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from ..data_model import Task
from ..environment import Database, Environment, Toolkit, read_data_file
from ..errors import DataError

PACKAGE_DOMAINS_DIR = Path(__file__).resolve().parent



@dataclass(frozen=True)
class DomainSpec:
    name: str
    agent_toolkit: type[Toolkit]
    user_toolkit: type[Toolkit] | None = None
    db_files: tuple[str, ...] = ("db.json", "db.toml")
    user_db_files: tuple[str, ...] = ("user_db.json", "user_db.toml")
    policy_files: tuple[str, ...] = ("policy.md",)  # joined in this order; the first is required
    task_files: tuple[str, ...] = ("tasks.json", "tasks_small.json")  # the first present is read
    sync: Callable[[Environment], None] | None = None
    # "module:function" of the seeded generator, imported only to generate data:
    # function(out_dir, seed, num_tasks, verify) writes the domain files into out_dir (see generation.py).
    generator: str | None = None
    default_num_tasks: int = 100
    description: str = ""
    validate_db: Callable[[dict[str, Any], Path], None] | None = None  # raises DataError on a bad DB
    validate_user_db: Callable[[dict[str, Any], Path], None] | None = None  # the same for user_db.*

    @property
    def default_data_dir(self) -> Path:
        """The generated data shipped inside the package."""
        return PACKAGE_DOMAINS_DIR / self.name / "data"


def _first_existing(directory: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (directory / name).is_file():
            return directory / name
    return None


def resolve_domain_dir(spec: DomainSpec, data_dir: str | Path | None) -> Path:
    """Accept either a domain folder or a folder holding `<domain>/` (as τ²-bench's data/ does)."""
    if data_dir is None:
        return spec.default_data_dir
    root = Path(data_dir)
    if not root.exists():
        raise DataError(f"data directory does not exist (looked for domain {spec.name!r})", path=root)
    for candidate in (root / spec.name, root / "domains" / spec.name, root):
        if _first_existing(candidate, spec.db_files):
            return candidate
    raise DataError(
        f"no {' or '.join(spec.db_files)} for domain {spec.name!r} in this directory or its "
        f"{spec.name}/ subfolder",
        path=root,
    )


def validate_task_functions(spec: DomainSpec, tasks: list[Task], path: Path) -> None:
    """Every tool or env function a task names must exist on the side that runs it."""

    def toolkit_for(side: str) -> type[Toolkit] | None:
        return spec.user_toolkit if side == "user" else spec.agent_toolkit

    for task in tasks:
        for action in task.gold_actions:
            kit = toolkit_for(action.requestor)
            if kit is None or action.name not in kit.tool_names():
                known = ", ".join(kit.tool_names()) if kit else "(no user tools in this domain)"
                raise DataError(
                    f"gold action {action.action_id or action.name!r} calls unknown {action.requestor} tool "
                    f"{action.name!r}; known tools: {known}", path=path, task_id=task.id)
        state = task.initial_state
        functions = list(state.initialization_actions or []) if state else []
        if task.evaluation_criteria:
            functions += list(task.evaluation_criteria.env_assertions or [])
        for fn in functions:
            kit = toolkit_for(fn.env_type)
            if kit is None or not callable(getattr(kit, fn.func_name, None)) or fn.func_name.startswith("_"):
                raise DataError(f"unknown {fn.env_type} function {fn.func_name!r}", path=path, task_id=task.id)


def load_tasks(path: Path) -> list[Task]:
    raw = read_data_file(path)
    if not isinstance(raw, list):
        raise DataError("a task file must hold a JSON list of tasks", path=path)
    tasks, seen = [], set()
    for index, item in enumerate(raw):
        task_id = str(item.get("id", f"#{index}")) if isinstance(item, dict) else f"#{index}"
        try:
            task = Task.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise DataError(f"invalid task at {where}: {first['msg']}", path=path, task_id=task_id) from None
        if task.id in seen:
            raise DataError("duplicate task id", path=path, task_id=task.id)
        seen.add(task.id)
        tasks.append(task)
    return tasks


@dataclass
class DomainData:
    """Everything read from one domain directory; builds a fresh Environment per conversation."""

    spec: DomainSpec
    directory: Path
    db: Database
    user_db: Database | None
    policy: str
    tasks: list[Task]
    splits: dict[str, list[str]] = field(default_factory=dict)
    task_file: Path | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def make_environment(self) -> Environment:
        user_tools = None
        if self.spec.user_toolkit is not None:
            user_tools = self.spec.user_toolkit(self.user_db.copy() if self.user_db else Database({}))
        return Environment(
            self.spec.name, self.policy, self.spec.agent_toolkit(self.db.copy()), user_tools, self.spec.sync
        )

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise DataError(f"no such task in domain {self.name!r}", path=self.task_file, task_id=task_id)

    def tasks_for_split(self, split: str | None) -> list[Task]:
        if split is None or split == "all":
            return list(self.tasks)
        if split not in self.splits:
            known = sorted(self.splits) + ["all"]
            raise DataError(
                f"unknown split {split!r} for domain {self.name!r}; known splits: {', '.join(known)}",
                path=self.directory,
            )
        wanted = set(self.splits[split])
        return [t for t in self.tasks if t.id in wanted]


def load_domain_data(spec: DomainSpec, data_dir: str | Path | None = None) -> DomainData:
    directory = resolve_domain_dir(spec, data_dir)
    db_path = _first_existing(directory, spec.db_files)
    if db_path is None:
        raise DataError(f"missing {' or '.join(spec.db_files)}", path=directory)
    db = Database.load(db_path)
    if spec.validate_db is not None:
        spec.validate_db(db.data, db_path)
    user_db_path = _first_existing(directory, spec.user_db_files)
    user_db = Database.load(user_db_path) if user_db_path else None
    if user_db is not None and spec.validate_user_db is not None:
        spec.validate_user_db(user_db.data, user_db_path)
    policy_parts = []
    for i, name in enumerate(spec.policy_files):
        path = directory / name
        if path.is_file():
            policy_parts.append(path.read_text(encoding="utf-8"))
        elif i == 0:
            raise DataError("missing policy file", path=path)
    task_path = _first_existing(directory, spec.task_files)
    if task_path is None:
        raise DataError(f"missing task file ({' or '.join(spec.task_files)})", path=directory)
    tasks = load_tasks(task_path)
    validate_task_functions(spec, tasks, task_path)
    splits: dict[str, list[str]] = {"base": [t.id for t in tasks]}
    split_path = directory / "split_tasks.json"
    if split_path.is_file():
        raw = read_data_file(split_path)
        if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
            raise DataError("split file must map split names to lists of task ids", path=split_path)
        ids = {t.id for t in tasks}
        for name, members in raw.items():
            missing = [str(m) for m in members if str(m) not in ids]
            if missing:
                raise DataError(f"split {name!r} names unknown tasks: {', '.join(missing[:5])}", path=split_path)
            splits[name] = [str(m) for m in members]
    return DomainData(spec, directory, db, user_db, "\n\n".join(policy_parts), tasks, splits, task_path)


def dump_json(path: Path, data: Any) -> None:
    """Write JSON deterministically (sorted where it matters to the caller, stable indent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
