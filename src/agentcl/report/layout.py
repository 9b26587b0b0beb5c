"""File names inside a run directory (one place, so writers and readers agree)."""

from __future__ import annotations

CONFIG_YAML = "config.yaml"
CURRICULUM_JSON = "curriculum.json"  # the ordered stage list, written once, checked on resume
RESULTS_JOURNAL = "results.jsonl"  # conversations, appended as they finish
RESULTS_JSON = "results.json"  # the final, de-duplicated conversations (atomic write)
TRAIN_LOG_JOURNAL = "train_log.jsonl"  # one dict per training step, appended
METRICS_JSON = "metrics.json"
REPORT_HTML = "report.html"
PLOT_REWARD_CURVE = "reward_curve.png"
PLOT_ACCURACY_MATRIX = "accuracy_matrix.png"
PLOT_PASS_K = "pass_k.png"
