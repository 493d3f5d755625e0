"""A training process killed with SIGKILL keeps every completed epoch: the run can be evaluated,
exported and resumed from its last checkpoint, and no half-written file survives opening it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import designer
from designer.cli import main
from designer.project.runs import RunRecord
from designer.training.run_dir import RunDir, load_checkpoint

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
REPO = Path(designer.__file__).resolve().parent.parent


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "designer", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # the trainer and any data-loader workers
    process.wait(timeout=30)


def _wait(condition: Callable[[], bool], process: subprocess.Popen[bytes], seconds: float = 240,
          poll: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the training process ended before it was killed"
        assert time.monotonic() < deadline, "training made no progress"
        time.sleep(poll)


def _epoch(run_dir: Path) -> int:
    return int(load_checkpoint(run_dir)["epoch"])


def _tmp_files(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.iterdir() if p.name.endswith(".tmp"))


def _checks_after_a_kill(run_dir: Path, data: Path, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    """Opening cleans up; evaluate and export use the last completed epoch's weights."""
    run = RunRecord.load(run_dir)
    assert run.status == "interrupted" and run.resumable and not run.finished
    assert _tmp_files(run_dir) == [], "leftovers of interrupted writes are removed on opening"
    weights = run.files.trained_weights("last")
    assert weights is not None
    checkpoint = load_checkpoint(run_dir)
    assert all(torch.equal(weights[k], v) for k, v in checkpoint["model"].items())
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--data", str(data), "--json"]) == 0
    assert 0.0 <= json.loads(capsys.readouterr().out)["accuracy"] <= 1.0
    out = tmp_path / f"model-{_epoch(run_dir)}.safetensors"
    assert main(["export", str(run_dir), "--format", "safetensors", "--out", str(out)]) == 0
    assert out.is_file()
    capsys.readouterr()


def test_a_killed_run_keeps_its_epochs_and_resumes(tmp_path: Path, colour_images: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = colour_images
    runs = tmp_path / "runs"
    process = _start("train", "--model", "mobilenet_v3_small", "--weights", "none",
                     "--data", str(data), "--image-size", "32", "--epochs", "500",
                     "--batch-size", "4", "--freeze-up-to", "", "--device", "cpu",
                     "--out", str(runs), "--json")
    try:
        _wait(lambda: any(runs.glob("*/checkpoint.pt")), process)
        run_dir = next(runs.glob("*/checkpoint.pt")).parent
        # Kill 1: while the next epoch's checkpoint is being written, if the poll catches it
        # (the write takes milliseconds), else right after the first checkpoint.
        deadline = time.monotonic() + 20
        while not any(p.name.startswith(".checkpoint.pt.") for p in run_dir.iterdir()) \
                and time.monotonic() < deadline:
            time.sleep(0.001)
        _kill(process)
    finally:
        if process.poll() is None:
            _kill(process)
    sys.__stderr__.write(f"left by the kill: {_tmp_files(run_dir)}\n")
    assert not (run_dir / "summary.json").exists() and not (run_dir / "best.safetensors").exists()
    done = _epoch(run_dir)
    assert done >= 1
    _checks_after_a_kill(run_dir, data, tmp_path, capsys)

    # Resume from the last completed epoch, then kill it in the middle of a later epoch.
    process = _start("resume", str(run_dir), "--epochs", "500", "--json")
    try:
        _wait(lambda: _epoch(run_dir) >= done + 2, process)
        time.sleep(random.uniform(0.0, 0.2))
        _kill(process)
    finally:
        if process.poll() is None:
            _kill(process)
    reached = _epoch(run_dir)
    assert reached >= done + 2
    _checks_after_a_kill(run_dir, data, tmp_path, capsys)

    # Resume in this process for one more epoch: the run continues where it was, then finishes.
    assert main(["resume", str(run_dir), "--epochs", str(reached + 1), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed"
    assert result["summary"]["epochs_completed"] == reached + 1
    epochs = [row["epoch"] for row in RunDir(run_dir).read_history().epochs]
    assert epochs == list(range(1, reached + 2)), "every epoch once, in order"
    assert (run_dir / "best.safetensors").is_file() and _tmp_files(run_dir) == []


def test_a_run_killed_before_its_first_epoch_is_refused_clearly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    files = RunDir(run_dir)
    (run_dir / "run.json").write_text('{"name": "early"}')
    (run_dir / "design.json").write_text("{}")
    (run_dir / ".checkpoint.pt.abc123.tmp").write_bytes(b"half a checkpoint")
    record = RunRecord.load(run_dir)
    assert record.status == "interrupted" and not record.resumable
    assert not (run_dir / ".checkpoint.pt.abc123.tmp").exists()
    assert main(["evaluate", str(run_dir), "--data", str(tmp_path)]) == 1
    assert "ended before it completed an epoch" in capsys.readouterr().err
    assert main(["resume", str(run_dir)]) == 1
    assert "no checkpoint" in capsys.readouterr().err
    assert files.trained_weights() is None
