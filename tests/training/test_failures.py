"""Out of memory, a full disk and a failing transform: one plain message naming the cause and
the fix, the traceback only in run.log, the run marked failed and never offering weights it does
not have, no half-written file left."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from designer.data import ImageDataset
from designer.data.scan import Sample
from designer.training import run_dir as run_dir_module
from designer.training.callbacks import Callback, Recorder
from designer.training.events import EpochEvent, FinishedEvent, LogEvent
from designer.training.failures import FREE_SPACE_MARGIN
from designer.training.loop import fit
from designer.training.run_dir import RunDir, load_checkpoint

OOM_ERRORS = [
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB "
                           "total capacity; 6.12 GiB already allocated)"),
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't "
                 "allocate memory: you tried to allocate 34359738368 bytes."),
    MemoryError(),
]


def _fail_forward(model: torch.nn.Module, error: BaseException, after: int = 0) -> None:
    """The model's forward raises ``error`` from call number ``after + 1`` on."""
    calls = {"n": 0}

    def hook(_module: torch.nn.Module, _args: Any) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise error

    model.register_forward_pre_hook(hook)


def _no_traceback_outside_the_log(recorder: Recorder, result_message: str) -> None:
    assert "Traceback" not in result_message
    assert all("Traceback" not in e.message for e in recorder.of_type(LogEvent))


@pytest.mark.parametrize("error", OOM_ERRORS, ids=["cuda", "cpu-allocator", "MemoryError"])
def test_out_of_memory_at_the_start_is_one_message_and_a_failed_run_without_weights(
        error, tiny_model, tiny_data, options, tmp_path: Path) -> None:
    model = tiny_model()
    _fail_forward(model, error)
    recorder = Recorder()
    run = tmp_path / "run"
    result = fit(model, tiny_data(), tiny_data(seed=1), options(feature_cache="off"),
                 callbacks=[recorder], run_dir=run)
    assert result.reason == "error"
    assert "Out of memory" in result.message and "batch size" in result.message
    assert "image size" in result.message and "freeze" in result.message
    assert "Tried to allocate" not in result.message and "alloc_cpu" not in result.message
    _no_traceback_outside_the_log(recorder, result.message)
    assert "Traceback" in (run / "run.log").read_text()
    files = RunDir(run, create=False)
    summary = files.read_summary()
    assert summary is not None and summary.status == "failed" and summary.weights_kept == "none"
    assert files.trained_weights() is None, "an untrained model is never offered as trained"
    assert not (run / "best.safetensors").exists() and not (run / "last.safetensors").exists()
    assert not files.has_checkpoint()


def test_out_of_memory_later_keeps_the_completed_epochs(tiny_model, tiny_data, options,
                                                        tmp_path: Path) -> None:
    model = tiny_model()
    data = tiny_data()
    per_epoch = len(data) // 8  # batch size 8 in the options fixture
    _fail_forward(model, OOM_ERRORS[0], after=per_epoch + 1)  # validation has no val set here
    result = fit(model, data, None, options(feature_cache="off", epochs=3), run_dir=tmp_path)
    assert result.reason == "error" and "Out of memory" in result.message
    assert load_checkpoint(tmp_path)["epoch"] >= 1
    assert RunDir(tmp_path).trained_weights() is not None


class _FillDiskAfterFirstEpoch(Callback):
    """Fills the disk once epoch 1 is saved (the epoch event comes before the checkpoint)."""

    def __init__(self, fill: Any) -> None:
        self.fill = fill

    def on_epoch(self, event: EpochEvent) -> None:
        if event.epoch == 2:
            self.fill()


def _check_disk_full_run(result: Any, recorder: Recorder, run: Path) -> None:
    assert result.reason == "error"
    assert "is full" in result.message and str(run) in result.message
    assert "free" in result.message and ("resume" in result.message or "train again" in
                                         result.message)
    assert "unexpected pos" not in result.message and "inline_container" not in result.message
    _no_traceback_outside_the_log(recorder, result.message)
    finished = recorder.of_type(FinishedEvent)[0]
    assert finished.reason == "error"
    assert [p.name for p in run.iterdir() if p.name.endswith(".tmp")] == []
    assert load_checkpoint(run)["epoch"] == 1, "the first epoch's checkpoint survives"
    assert RunDir(run).trained_weights() is not None


def test_a_full_disk_while_training_is_named_with_its_folder(monkeypatch, tiny_model, tiny_data,
                                                              options, tmp_path: Path) -> None:
    """Without a real small disk: every write fails with ENOSPC once the first epoch is saved."""
    full = {"on": False}
    real_fsync = run_dir_module._fsync

    def fsync(path: str | Path) -> None:
        if full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(path)

    monkeypatch.setattr(run_dir_module, "_fsync", fsync)
    monkeypatch.setattr(RunDir, "log", lambda self, message, level="info": None)
    recorder = Recorder()
    run = tmp_path / "run"
    result = fit(tiny_model(), tiny_data(), None, options(feature_cache="off", epochs=3),
                 callbacks=[recorder, _FillDiskAfterFirstEpoch(lambda: full.update(on=True))],
                 run_dir=run)
    _check_disk_full_run(result, recorder, run)


def _mount_tmpfs(folder: Path, size: str) -> str | None:
    """Mount a small tmpfs on ``folder``; None when it worked, else why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    if shutil.which("mount") is None:
        return "no mount command"
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else f"cannot mount tmpfs: {done.stderr.strip()}"


def _fill(folder: Path) -> None:
    """Write until the disk is full."""
    with (folder / "filler.bin").open("wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
        except OSError:
            pass


@pytest.mark.parametrize("precheck", [True, False], ids=["free-space-check", "writer-fails"])
def test_a_real_full_disk_while_training(precheck, monkeypatch, tiny_model, tiny_data, options,
                                         tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    why = _mount_tmpfs(disk, "2m")
    if why is not None:
        pytest.skip(why)
    try:
        if not precheck:  # let torch.save itself meet the full disk ("unexpected pos")
            monkeypatch.setattr(run_dir_module, "require_free_space", lambda *_: None)
        run = disk / "run"
        recorder = Recorder()
        result = fit(tiny_model(), tiny_data(), None, options(feature_cache="off", epochs=3),
                     callbacks=[recorder, _FillDiskAfterFirstEpoch(lambda: _fill(disk))],
                     run_dir=run)
        _check_disk_full_run(result, recorder, run)
        if precheck:
            assert "needs about" in result.message
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_the_free_space_check_refuses_a_write_that_cannot_fit(monkeypatch, tmp_path: Path) -> None:
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda _p: usage._replace(free=FREE_SPACE_MARGIN + 1000))
    with pytest.raises(OSError, match=r"is full \(.* free; this needs about"):
        RunDir(tmp_path).save_weights("last", {"w": torch.zeros(1000)})
    assert list(tmp_path.iterdir()) == []


def _images(folder: Path) -> list[Sample]:
    samples = []
    for label, colour in enumerate(((200, 30, 30), (30, 200, 30))):
        for i in range(4):
            path = folder / f"{label}-{i}.png"
            Image.new("RGB", (20, 20), colour).save(path)
            samples.append(Sample(path, label))
    return samples


@pytest.mark.parametrize(("raised", "expected", "not_expected"), [
    (RuntimeError("Input and output sizes should be greater than 0"), "image file is fine",
     "Remove or replace"),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory"), "Out of memory", "Remove or replace"),
    (MemoryError(), "Out of memory", "Remove or replace"),
], ids=["bad-size", "oom-runtime", "MemoryError"])
def test_a_failing_transform_does_not_blame_a_good_photo(raised, expected, not_expected,
                                                         tiny_model, options, tmp_path) -> None:
    def transform(_image: torch.Tensor) -> torch.Tensor:
        raise raised

    data = ImageDataset(_images(tmp_path), ["red", "green"], transform)
    result = fit(tiny_model(), data, None, options(feature_cache="off"), run_dir=tmp_path / "r")
    assert result.reason == "error"
    assert expected in result.message and not_expected not in result.message
