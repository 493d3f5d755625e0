"""Ctrl-C on `netdesigner train`: a real process, SIGINT at start-up and during training."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import designer
from designer.cli import main

REPO = Path(designer.__file__).resolve().parents[1]
LIMIT_S = 240  # a generous bound so a hang fails the test instead of stalling the suite


def start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "designer", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def train_args(data: Path, out: Path) -> list[str]:
    return ["train", "--model", "resnet18", "--weights", "none", "--data", str(data),
            "--image-size", "32", "--epochs", "400", "--batch-size", "4", "--freeze-up-to", "",
            "--out", str(out)]


class Lines:
    """The lines of a process's stream, read on a thread so waiting for one is bounded."""

    def __init__(self, stream: object) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str | None) -> str:
        """Read up to the first line containing ``text`` (None: to the end); all read so far."""
        deadline = time.monotonic() + LIMIT_S
        while time.monotonic() < deadline:
            line = self._queue.get(timeout=LIMIT_S)
            if line is None:
                break
            self.seen.append(line)
            if text is not None and text in line:
                return "".join(self.seen)
        if text is not None:
            raise AssertionError(f"never printed {text!r}; got:\n{''.join(self.seen)}")
        return "".join(self.seen)


def test_ctrl_c_during_start_up_is_one_line(tmp_path: Path, image_folder: Path) -> None:
    out = tmp_path / "runs"
    with start(*train_args(image_folder, out)) as process:
        time.sleep(0.5)  # Python is up; torch (seconds to import) and the scan are still ahead
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=LIMIT_S)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["netdesigner: interrupted; nothing was saved."]
    assert stdout == ""
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_ctrl_c_during_training_saves_a_resumable_run(tmp_path: Path, image_folder: Path) -> None:
    out = tmp_path / "runs"
    with start(*train_args(image_folder, out)) as process:
        lines = Lines(process.stderr)
        lines.wait_for("epoch 2: train loss")
        process.send_signal(signal.SIGINT)
        stderr = lines.wait_for(None)
        assert process.wait(timeout=LIMIT_S) == 130, stderr
        assert process.stdout is not None and process.stdout.read() == ""
    assert "Traceback" not in stderr
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    assert stderr.strip().splitlines()[-1] == (
        f"netdesigner: interrupted; the run is saved in {run_dir} (stopped after "
        f"{json.loads((run_dir / 'summary.json').read_text())['iterations']} iterations); "
        f"continue it with: netdesigner resume {run_dir}")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["reason"] == "stopped" and summary["epochs_completed"] >= 2
    assert (run_dir / "checkpoint.pt").is_file() and (run_dir / "last.safetensors").is_file()

    epochs = summary["epochs_completed"] + 1
    assert main(["train", "--resume", str(run_dir), "--epochs", str(epochs), "--json"]) == 0
    resumed = json.loads((run_dir / "summary.json").read_text())
    assert resumed["reason"] == "completed" and resumed["epochs_completed"] == epochs
    assert resumed["iterations"] > summary["iterations"]


@pytest.mark.parametrize("flag", ["--epochs", "--lr"])
def test_resume_refuses_a_folder_that_is_no_run(tmp_path: Path, flag: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--resume", str(tmp_path), flag, "2"]) == 1
    assert "is not a run folder that can be resumed" in capsys.readouterr().err
