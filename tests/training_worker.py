"""One process of the 2-process training test (launched by torchrun): run.py with the good agent.

After training, each rank writes its LoRA weights to <output>/lora_rank<R>.pt so the test can check
that data-parallel training kept the ranks identical (test-only output; run.py writes nothing per rank).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from transformers import TrainerCallback  # noqa: E402

import run  # noqa: E402
from training_support import good_agent_options  # noqa: E402


class DumpLoraPerRank(TrainerCallback):
    def __init__(self, output_dir: str):
        self.output_dir = output_dir

    def on_train_end(self, args, state, control, model=None, **kwargs):
        import torch

        rank = int(os.environ.get("RANK", "0"))
        lora = {n: p.detach().cpu().clone() for n, p in model.named_parameters() if "lora_" in n}
        torch.save({"lora": lora, "global_step": state.global_step}, Path(self.output_dir) / f"lora_rank{rank}.pt")


if __name__ == "__main__":
    argv = sys.argv[1:]
    output_dir = argv[argv.index("--output-dir") + 1]
    sys.exit(run.main(argv, rollout_options=good_agent_options(), callbacks=[DumpLoraPerRank(output_dir)]))
