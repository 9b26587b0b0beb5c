"""The previous-stage anchor: fold each finished stage's LoRA adapter into the weights.

With `--anchor previous-stage`, at every stage boundary the runner calls `merge_adapter` on the
trained model (PEFT `merge_and_unload`: W ← W + B·A·alpha/r, the LoRA modules removed) and the next
stage's trainer adds a fresh, zero-initialised adapter. TRL computes the reference log-probs with
the adapter disabled, so the reference of stage i is exactly the policy after stage i−1, and
`beta` is a KL penalty towards it.

A stage's adapter is then a delta on top of the earlier stages' merged adapters, so each adapter
directory records the stages beneath it (`BASE_ADAPTERS_FILE`, names of sibling adapter
directories, in merge order); `merge_base_adapters` rebuilds those weights from the base model
(what `load_policy` does before it loads the adapter), so any stage's policy can be evaluated
later from its directory alone (and its siblings). Nothing but the small adapters is kept on
disk; in memory the merge is in place (the merged weights replace the base weights).

4-bit (QLoRA) weights are refused by the configuration: merging into them re-quantises, so the
reference would not be the previous stage's policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

BASE_ADAPTERS_FILE = "agentcl_base_adapters.json"


def merge_adapter(model):
    """The model with its active LoRA adapter merged into the weights (a plain transformers model).

    TRL's frozen "ref" copy (made when it continues a trained adapter) is dropped first."""
    from peft import PeftModel

    if not isinstance(model, PeftModel):
        raise TypeError(f"expected a PEFT model with a LoRA adapter to merge, got {type(model).__name__}")
    if "ref" in model.peft_config:
        model.delete_adapter("ref")
    return model.merge_and_unload()


def write_base_adapters(adapter_dir: str | Path, below: Sequence[str]) -> None:
    """Record that the adapter in `adapter_dir` was trained on top of the merged sibling adapters `below`."""
    adapter_dir = Path(adapter_dir)
    adapter_dir.mkdir(parents=True, exist_ok=True)
    (adapter_dir / BASE_ADAPTERS_FILE).write_text(json.dumps({"merged_below": list(below)}, indent=2))


def base_adapters(adapter_dir: str | Path) -> list[Path]:
    """The adapter directories merged beneath `adapter_dir`, in merge order ([] for a plain adapter)."""
    adapter_dir = Path(adapter_dir)
    marker = adapter_dir / BASE_ADAPTERS_FILE
    if not marker.is_file():
        return []
    names = json.loads(marker.read_text()).get("merged_below") or []
    paths = [adapter_dir.parent / name for name in names]
    missing = [str(p) for p in paths if not (p / "adapter_config.json").is_file()]
    if missing:
        from ..config import ConfigError

        raise ConfigError(f"adapter {adapter_dir} was trained on top of merged adapters that are missing: "
                          f"{', '.join(missing)} (listed in {marker})")
    return paths


def merge_base_adapters(model, adapter_dir: str | Path):
    """`model` (the base) with every adapter beneath `adapter_dir` merged in, in order."""
    from peft import PeftModel

    for below in base_adapters(adapter_dir):
        model = PeftModel.from_pretrained(model, str(below), is_trainable=False).merge_and_unload()
    return model


def merged_policy(model, adapter_dir: str | Path):
    """`model` (the base) with the adapters beneath `adapter_dir` and `adapter_dir` itself merged in:
    the policy after that stage as plain weights (where an anchored run continues after a resume)."""
    from peft import PeftModel

    model = merge_base_adapters(model, adapter_dir)
    return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False).merge_and_unload()
