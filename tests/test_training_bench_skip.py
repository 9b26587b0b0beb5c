"""bench/train_step.py on a machine without a GPU: the Qwen3-4B shape is skipped with a reason, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import REPO_ROOT


def test_qwen3_4b_shape_is_skipped_cleanly_without_a_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: the benchmark would really run")
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "train_step.py"), "--shape", "qwen3-4b"],
                          cwd=REPO_ROOT, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("skipped: --shape qwen3-4b needs a CUDA GPU")
