"""`agentcl generate`: write a domain's seeded default data, all or nothing."""

from __future__ import annotations

import argparse
import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .check_data import verify_generated
from .registry import DOMAINS, get_domain


DATA_SUFFIXES = {".json", ".toml", ".md"}


def _refuse_to_replace_non_data(out_dir: Path) -> None:
    """Replacing a folder is only safe when it holds nothing but data files we would rewrite."""
    if not out_dir.exists():
        return
    foreign = [p for p in out_dir.iterdir() if p.is_dir() or p.suffix not in DATA_SUFFIXES]
    if foreign:
        names = ", ".join(sorted(p.name for p in foreign)[:5])
        raise FileExistsError(f"refusing to replace {out_dir}: it holds more than domain data ({names})")


def load_generator(spec) -> Callable[..., None]:
    """The domain's generator, imported now (domains do not import their generation code when they load)."""
    if spec.generator is None:
        raise ValueError(f"domain {spec.name!r} has no data generator")
    module, _, name = spec.generator.partition(":")
    return getattr(importlib.import_module(module), name)


def generate_domain_data(domain: str, out_dir: str | Path, seed: int = 0, num_tasks: int | None = None) -> Path:
    """Generate into a temporary folder beside `out_dir`, then move it into place (nothing half-written)."""
    spec = get_domain(domain)
    generate = load_generator(spec)
    out_dir = Path(out_dir)
    _refuse_to_replace_non_data(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        generate(staging, seed, spec.default_num_tasks if num_tasks is None else num_tasks, verify_generated(spec))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentcl generate", description=__doc__.splitlines()[0])
    parser.add_argument("--domain", action="append", required=True, help=f"one of: {', '.join(DOMAINS.names())}")
    parser.add_argument("--out", required=True, help="output directory; each domain goes to OUT/<domain>/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-tasks", type=int, default=None, help="tasks per domain (default: the domain's own)")
    args = parser.parse_args(argv)
    for name in args.domain:
        path = generate_domain_data(name, Path(args.out) / name, args.seed, args.num_tasks)
        print(f"{name}: wrote {path}")
    return 0
