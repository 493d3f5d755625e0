"""A failed export leaves nothing behind and says what went wrong and what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import Tensor, fx, nn

from designer.export import (
    FORMATS,
    SUFFIXES,
    ExportCancelledError,
    ExportError,
    Format,
    _staging,
    export_model,
    fmt_onnx,
    fmt_openvino,
    fmt_pt2,
    fmt_safetensors,
    fmt_torchscript,
)
from designer.export.parity import Runner

pytestmark = pytest.mark.filterwarnings("error")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def test_parent_is_a_regular_file(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")

    with pytest.raises(ExportError, match=r"cannot write to .*not-a-folder.*choose another folder"):
        export_model(tiny, "onnx", blocker / "model.onnx", example_input=tiny_input)

    assert _files(tmp_path) == ["not-a-folder"]


def test_missing_folder(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"cannot write to .*choose another folder"):
        export_model(tiny, "pt2", tmp_path / "nope" / "model.pt2", example_input=tiny_input)

    assert _files(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_folder(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ExportError, match=r"cannot write to .*choose another folder"):
            export_model(tiny, "pt2", folder / "model.pt2", example_input=tiny_input)
        assert _files(folder) == []
    finally:
        folder.chmod(0o755)


def test_permission_denied(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a read-only folder does for a normal user (root, which runs the tests here, can write)."""

    def denied(**_kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_staging.tempfile, "mkdtemp", denied)

    with pytest.raises(ExportError, match=r"cannot write to .* \(Permission denied\): choose"):
        export_model(tiny, "pt2", tmp_path / "model.pt2", example_input=tiny_input)

    assert _files(tmp_path) == []


def test_failure_while_moving_into_place_removes_what_was_moved(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    moves: list[str] = []

    def flaky_replace(src: str | Path, dst: str | Path) -> None:
        moves.append(str(dst))
        if len(moves) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(_staging.os, "replace", flaky_replace)

    with pytest.raises(ExportError, match=r"not enough space in .*: needs ~.* MB, .* MB free"):
        export_model(
            tiny,
            "safetensors",
            tmp_path / "m.safetensors",
            example_input=tiny_input,
            labels=["a", "b", "c"],
            preprocessing={"crop_size": 16},
        )

    assert len(moves) == 2
    assert _files(tmp_path) == []


def test_target_is_a_folder(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="is a folder: give a file name"):
        export_model(tiny, "pt2", tmp_path, example_input=tiny_input)

    assert _files(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_parity_check_leaves_no_file(
    fmt: Format,
    tiny: fx.GraphModule,
    tiny_input: Tensor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real check runs on a loader whose outputs are off by 1e-2: the export must refuse."""
    module = {
        "safetensors": fmt_safetensors,
        "onnx": fmt_onnx,
        "pt2": fmt_pt2,
        "torchscript": fmt_torchscript,
        "openvino": fmt_openvino,
    }[fmt]
    real_load = module.load

    def skewed_load(path: Path, model: nn.Module | None) -> tuple[Runner, dict[str, str]]:
        run, meta = real_load(path, model)
        return (lambda x: [t + 1e-2 for t in run(x)]), meta

    monkeypatch.setattr(module, "load", skewed_load)

    with pytest.raises(ExportError, match=r"parity check failed.*max \|diff\| 0\.01") as info:
        export_model(
            tiny,
            fmt,
            tmp_path / f"model{SUFFIXES[fmt]}",
            example_input=tiny_input,
            labels=["a", "b", "c"],
        )

    assert "try another export format" in str(info.value)
    assert _files(tmp_path) == []


def test_failed_export_keeps_the_previous_file(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.pt2"
    target.write_bytes(b"previous export")

    def broken_write(job: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(fmt_pt2, "write", broken_write)

    with pytest.raises(ExportError, match=r"pt2 export failed \(RuntimeError: boom\); torch.export"):
        export_model(tiny, "pt2", target, example_input=tiny_input)

    assert target.read_bytes() == b"previous export"
    assert _files(tmp_path) == ["model.pt2"]


def test_model_that_rejects_the_example_input(tiny: fx.GraphModule, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"model fails on the example input.*shape"):
        export_model(tiny, "pt2", tmp_path / "m.pt2", example_input=torch.randn(1, 5, 16, 16))

    assert _files(tmp_path) == []


def test_wrong_number_of_labels(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="outputs 3 classes but 2 labels"):
        export_model(
            tiny, "safetensors", tmp_path / "m.safetensors", example_input=tiny_input, labels=["a", "b"]
        )

    assert _files(tmp_path) == []


def test_unknown_format(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"unknown export format 'tflite'.*onnx"):
        export_model(tiny, "tflite", tmp_path / "m", example_input=tiny_input)  # type: ignore[arg-type]


def test_cancel_leaves_no_file(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    calls: list[str] = []

    def progress(fraction: float, message: str) -> None:
        calls.append(message)

    with pytest.raises(ExportCancelledError, match="no file was written"):
        export_model(
            tiny,
            "pt2",
            tmp_path / "m.pt2",
            example_input=tiny_input,
            progress=progress,
            cancel=lambda: len(calls) >= 2,
        )

    assert len(calls) == 2
    assert _files(tmp_path) == []


def test_progress_reaches_one_in_order(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    fractions: list[float] = []

    export_model(
        tiny,
        "pt2",
        tmp_path / "m.pt2",
        example_input=tiny_input,
        progress=lambda f, _msg: fractions.append(f),
    )

    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0


def test_a_folder_made_for_a_failed_export_is_removed_again(tmp_path: Path) -> None:
    from designer.export._staging import created_folder

    existing = tmp_path / "mine"
    existing.mkdir()
    made: list[bool] = []

    def failing_export() -> None:
        with created_folder(existing / "a" / "b") as folder:
            made.append(folder.is_dir())
            raise ExportError("boom")

    with pytest.raises(ExportError, match="boom"):
        failing_export()
    assert made == [True]
    assert _files(tmp_path) == ["mine"]  # both levels it made are gone, the user's folder stays

    with created_folder(existing / "a" / "b") as folder:
        (folder / "model.pt2").write_bytes(b"kept")
    assert _files(tmp_path) == ["a", "b", "mine", "model.pt2"]
