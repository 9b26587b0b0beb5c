#!/usr/bin/env python
"""Train a tool-using agent with GRPO over a curriculum of domains.

    python run.py [--config FILE.yaml] [--preset demo] [flags...]      (one process)
    bash run_with_accelerate.sh multi [flags...]                        (one process per GPU)

Flags -> one RunConfig (printed with keys masked, saved as <output-dir>/config.yaml) -> the run.
Every process rolls out its own shard of each step's tasks; only the main process prints the
configuration and writes files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is "experimental" in TRL 1.16
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # run from a checkout without installing


def main(argv: list[str] | None = None, **run_options) -> int:
    """`run_options` are for programmatic callers (tests, demos): e.g. `rollout_options={...}`."""
    from agentcl.errors import run_command

    return run_command(lambda: _run(argv, run_options))


def _run(argv: list[str] | None, run_options: dict) -> None:
    from agentcl.config import format_config, parse_run_config
    from agentcl.training.model_loading import process_state

    config = parse_run_config(argv)
    if process_state().is_main_process:
        print(format_config(config), flush=True)
        path = config.save(config.training.output_dir)
        print(f"configuration saved to {path}", flush=True)
    if run_options:  # programmatic callers (tests) drive the training loop alone
        from agentcl.training.run_stages import run_training

        run_training(config, **run_options)
    else:  # the curriculum: train + evaluate every stage, metrics, report (demo for --preset demo)
        from agentcl.curriculum.runner import run

        run(config)


if __name__ == "__main__":
    sys.exit(main())
