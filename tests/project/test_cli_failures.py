"""`netdesigner train` failures: options refused up front with the option named; out of memory
and a full disk as one plain line (no traceback, no "run saved", exit 1); a failed run is
marked failed and `evaluate` refuses the weights it does not have."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch

from designer.cli import main
from designer.project.runs import RunRecord
from designer.training import run_dir as run_dir_module
from designer.training.run_dir import RunDir
from designer.training.steps import Stepper


def _train(data: Path, out: Path, *extra: str) -> int:
    return main(["train", "--model", "mobilenet_v3_small", "--weights", "none",
                 "--data", str(data), "--image-size", "32", "--batch-size", "8",
                 "--freeze-up-to", "", "--device", "cpu", "--out", str(out), *extra])


def _one_message(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("netdesigner:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("option", "value", "named"), [
    ("--image-size", "0", "image size"), ("--image-size", "8", "image size"),
    ("--epochs", "0", "epochs"), ("--batch-size", "0", "batch_size"),
    ("--lr", "nan", "lr"), ("--lr", "inf", "lr"), ("--lr", "-0.1", "lr"),
])
def test_bad_options_are_refused_before_anything_runs(option, value, named, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    code = main(["train", "--model", "mobilenet_v3_small", "--weights", "none",
                 "--data", str(tmp_path / "no-such-folder"), option, value, "--out", str(out)])
    assert code == 1
    captured = capsys.readouterr()
    message = _one_message(captured.err)
    assert named in message and value in message
    assert "Traceback" not in captured.err + captured.out and not out.exists()


def test_out_of_memory_is_one_line_and_a_failed_run(monkeypatch, colour_images: Path,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def out_of_memory(*_args: object) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(Stepper, "step", out_of_memory)
    out = tmp_path / "runs"
    assert _train(colour_images, out, "--epochs", "2") == 1
    captured = capsys.readouterr()
    message = _one_message(captured.err)
    assert "Out of memory" in message and "batch size" in message and "image size" in message
    assert "Tried to allocate" not in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "run saved" not in captured.out and "accuracy" not in captured.out
    run_dir = next(out.iterdir())
    record = RunRecord.load(run_dir)
    assert record.status == "failed" and record.failed
    assert "Traceback" in (run_dir / "run.log").read_text()
    assert main(["evaluate", str(run_dir), "--data", str(colour_images)]) == 1
    assert "failed before it trained anything" in _one_message(capsys.readouterr().err)
    assert main(["export", str(run_dir), "--format", "safetensors",
                 "--out", str(tmp_path / "m.safetensors")]) == 1
    assert not (tmp_path / "m.safetensors").exists()


def test_a_full_disk_is_one_line_naming_the_folder(monkeypatch, colour_images: Path,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Every write fails with ENOSPC from the second checkpoint on (no real small disk here)."""
    real_save, real_fsync = RunDir.save_checkpoint, run_dir_module._fsync
    state = {"checkpoints": 0}

    def save_checkpoint(self: RunDir, checkpoint: dict[str, object]) -> None:
        state["checkpoints"] += 1
        real_save(self, checkpoint)

    def fsync(path: str | Path) -> None:
        if state["checkpoints"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(path)

    monkeypatch.setattr(RunDir, "save_checkpoint", save_checkpoint)
    monkeypatch.setattr(run_dir_module, "_fsync", fsync)
    out = tmp_path / "runs"
    assert _train(colour_images, out, "--epochs", "3") == 1
    captured = capsys.readouterr()
    message = _one_message(captured.err)
    run_dir = next(out.iterdir())
    assert "is full" in message and str(run_dir) in message and "free" in message
    assert "Traceback" not in captured.err + captured.out
    assert "run saved" not in captured.out
    assert [p for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []
    state["checkpoints"] = 0  # space freed: the first epoch is still there to use
    assert main(["evaluate", str(run_dir), "--data", str(colour_images)]) == 0
