"""Run outputs: the resumable results store, config.yaml, metrics.json, PNG plots, report.html.

`build_report` and the plot writers load matplotlib, so they are imported on first use only.
"""

from .config_dump import is_secret_key, redact_config, write_config_yaml
from .journal import JsonlJournal, atomic_write_text
from .results_store import (
    ResultsStore,
    TrainingLog,
    load_results,
    load_run_dir_runs,
    read_curriculum,
    write_curriculum,
    write_results_json,
)

_LAZY = {"build_report", "write_metrics_json", "write_plots"}


def __getattr__(name: str):
    if name in _LAZY:
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "JsonlJournal", "ResultsStore", "TrainingLog", "atomic_write_text", "build_report",
    "is_secret_key", "load_results", "load_run_dir_runs", "read_curriculum", "redact_config",
    "write_config_yaml", "write_curriculum", "write_metrics_json", "write_plots", "write_results_json",
]
