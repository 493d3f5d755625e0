"""bench/gpu_check.py on a machine without CUDA: one clear line and a clean exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_without_cuda_says_so_and_exits_cleanly() -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    for flags, status in (([], 0), (["--require-cuda"], 2)):
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), *flags],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == status, done.stderr
        assert "no CUDA device is available" in done.stdout and "nothing was checked" in done.stdout
        assert "Traceback" not in done.stderr
