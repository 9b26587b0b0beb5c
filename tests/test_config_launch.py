"""run_with_accelerate.sh and the Accelerate configs: modes, pass-through, clear failures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import REPO_ROOT

SCRIPT = REPO_ROOT / "run_with_accelerate.sh"


def launch(*args: str, gpus: str = "") -> subprocess.CompletedProcess:
    # AGENTCL_PYTHON: the script uses this interpreter as it is. Without it the script runs
    # scripts/setup_venv.sh, which in a fresh checkout (pyproject.toml newer than the install stamp)
    # would `pip install -e` that checkout into .venv: a test must not reinstall the environment.
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": gpus, "AGENTCL_PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("args, needle", [
    (("custom", "configs/no_such.yaml"), "accelerate config file not found: configs/no_such.yaml"),
    (("custom",), "custom needs an accelerate config file"),
    (("sideways",), "unknown mode 'sideways'"),
])
def test_bad_modes_and_missing_configs_fail_clearly(args, needle):
    proc = launch(*args)
    assert proc.returncode == 2 and needle in proc.stderr


@pytest.mark.parametrize("mode", ["multi", "single"])
def test_gpu_modes_refuse_to_start_without_a_gpu(mode):
    proc = launch(mode, "--model", "tiny")
    assert proc.returncode == 2
    assert f"mode '{mode}' needs a GPU but none is visible" in proc.stderr


def test_no_mode_means_multi():
    proc = launch("--max-steps", "3")
    assert proc.returncode == 2 and "mode 'multi' needs a GPU" in proc.stderr


def test_demo_runs_run_py_with_the_demo_preset_and_passes_flags_through():
    proc = launch("demo", "--help")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "usage: run.py" in proc.stdout
    # a flag after the mode reaches run.py (and is validated there)
    proc = launch("demo", "--max-steps", "0")
    assert proc.returncode == 2 and "--max-steps must be at least 1" in proc.stderr


def test_script_holds_no_key():
    text = SCRIPT.read_text()
    assert "sk-" not in text and "API_KEY=" not in text


def test_accelerate_configs_load_with_accelerate():
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.utils import DistributedType

    expected = {
        "accelerate_config.yaml": (DistributedType.MULTI_GPU, 1, None),
        "accelerate_config_single_gpu.yaml": (DistributedType.NO, 1, None),
        "configs/deepspeed_zero2.yaml": (DistributedType.DEEPSPEED, 1, 2),
        "configs/deepspeed_zero3.yaml": (DistributedType.DEEPSPEED, 1, 3),
        "configs/accelerate_two_nodes.yaml": (DistributedType.MULTI_GPU, 2, None),
    }
    for name, (kind, machines, zero_stage) in expected.items():
        config = load_config_from_file(str(REPO_ROOT / name))
        assert config.distributed_type == kind, name
        assert config.num_machines == machines, name
        if zero_stage is not None:
            assert config.deepspeed_config["zero_stage"] == zero_stage, name
        assert config.mixed_precision == "bf16", name
    single = load_config_from_file(str(REPO_ROOT / "accelerate_config_single_gpu.yaml"))
    assert single.num_processes == 1 and str(single.gpu_ids) == "0"
