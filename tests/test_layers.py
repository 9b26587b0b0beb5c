"""Data flows one way: no module of the package imports from a layer above its own.

The layers, bottom to top, as README's "Architecture" section writes them. Every import of every
module under src/agentcl is read with `ast` (module-level and function-level imports alike: a lazy
import is still a dependency), resolved to the module it names, and checked against this table.
A new top-level module or package must be placed in a layer here, or the test fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "agentcl"

# bottom (0) to top; a module may import from its own layer and the layers below it
LAYERS: list[tuple[str, ...]] = [
    ("errors", "secrets", "async_runner", "output_errors", "data_model"),  # foundations and the data model
    ("report",),  # results store, metrics, plots, HTML: read and write runs of the data model only
    ("environment",),  # tools, toolkits, databases
    ("domains", "registry", "models"),  # the domains, the name registry, the tiny local model
    ("llm",),  # the litellm Router client
    ("users", "rewards"),  # user simulators; task evaluator and the NL judge (rewards/judge/)
    ("relay", "rollout"),  # the local OpenAI-compatible relay; multi-turn rollouts
    ("config",),  # one RunConfig over GRPOConfig, ModelConfig and the sections above
    ("training",),  # TRL GRPO wiring of one stage
    ("curriculum",),  # the stage loop, evaluation
    ("demo", "cli", "__main__", "check_data", "generate_data", "export"),  # the demo and the command line
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def top_level(module: str) -> str:
    """'agentcl.rewards.judge.cache' -> 'rewards'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) of every agentcl import in `source`, a module of `package`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                targets = [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
            else:
                targets = [node.module or ""]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, t) for t in targets if t == "agentcl" or t.startswith("agentcl.")]
    return found


def package_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer():
    unplaced = sorted({top_level(module_name(p)) for p in package_modules()} - set(LAYER_OF) - {"agentcl"})
    assert not unplaced, f"place these in a layer of tests/test_layers.py (and README): {unplaced}"


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in package_modules():
        own = top_level(module_name(path))
        if own == "agentcl":  # the package's __init__
            continue
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for line, target in imported_modules(path.read_text(encoding="utf-8"), package):
            other = top_level(target)
            if other != "agentcl" and LAYER_OF[other] > LAYER_OF[own]:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} ({own}, layer {LAYER_OF[own]}) imports "
                              f"{target} ({other}, layer {LAYER_OF[other]})")
    assert not upward, "imports against the flow of data:\n" + "\n".join(upward)


@pytest.mark.parametrize("source, expected", [
    ("from ..report import layout\n", ["agentcl.report"]),
    ("from . import layout, stages\n", ["agentcl.curriculum.layout", "agentcl.curriculum.stages"]),
    ("def f():\n    import agentcl.rewards.judge.cache\n", ["agentcl.rewards.judge.cache"]),
    ("import json\nfrom pathlib import Path\n", []),
])
def test_imports_are_resolved_to_absolute_modules(source, expected):
    # the checker itself: relative imports resolve against the importing module's package
    assert [t for _, t in imported_modules(source, "agentcl.curriculum")] == expected
