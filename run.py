#!/usr/bin/env python
"""Train a tool-using agent with GRPO over a curriculum of domains.

    python run.py [--config FILE.yaml] [--preset demo] [flags...]      (one process)
    bash run_with_accelerate.sh multi [flags...]                        (one process per GPU)

Flags -> one RunConfig (printed with keys masked, saved as <output-dir>/config.yaml) -> the stage
loop (agentcl.curriculum.runner); `--preset demo` first prepares the demo's data and warm start
(agentcl.demo), then runs the same loop. Every process rolls out its own shard of each step's
tasks; only the main process prints the configuration and writes files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is "experimental" in TRL 1.16
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # run from a checkout without installing


def main(argv: list[str] | None = None, **loop_options) -> int:
    """`loop_options` go to the stage loop (CurriculumRunner): tests inject e.g. `rollout_options`
    (a scripted agent), `callbacks` (trainer callbacks) or `user_simulator_factory`."""
    from agentcl.errors import run_command

    return run_command(lambda: _run(argv, loop_options))


def _run(argv: list[str] | None, loop_options: dict) -> None:
    from agentcl.config import format_config, parse_run_config
    from agentcl.training.model_loading import process_state

    config = parse_run_config(argv)
    # one process at a time in a run directory, held for the whole run (main process only)
    from agentcl.report.run_lock import hold_run_dir

    with hold_run_dir(config.training.output_dir, is_main=process_state().is_main_process):
        if process_state().is_main_process:
            print(format_config(config), flush=True)
        if config.run.preset == "demo":  # data preparation and warm start, then the same loop
            from agentcl.demo import run_demo

            run_demo(config, **loop_options)
        else:  # the loop saves config.yaml once the run directory is validated
            from agentcl.curriculum.runner import run_curriculum

            run_curriculum(config, **loop_options)


if __name__ == "__main__":
    sys.exit(main())
