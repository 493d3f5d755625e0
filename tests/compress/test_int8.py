"""INT8 export: heavy layers really quantized, before/after measured, failures leave no file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from designer.compress import MIN_INT8_SHARE, count_file_ops, count_runtime_ops, quantize_int8
from designer.export import ExportCancelledError, ExportError, load_exported

CLASSES = ["a", "b", "c"]


class SmallNet(nn.Module):
    """Three convs with a residual add and a linear head: enough weights for INT8 to matter."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU())
        self.conv1 = nn.Conv2d(32, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.head = nn.Linear(64, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.relu(x + self.conv1(x))
        x = torch.relu(self.conv2(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def _data(n: int, seed: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 3, 24, 24, generator=generator),
                         torch.randint(0, 3, (n,), generator=generator))


def _export(path: Path, **kwargs: object) -> object:
    torch.manual_seed(0)
    return quantize_int8(SmallNet(), path, calibration=_data(16, 1), validation=_data(10, 2),
                         example_input=torch.randn(2, 3, 24, 24), labels=CLASSES, **kwargs)


def test_int8_file_runs_integer_kernels_and_reports_before_after(tmp_path: Path) -> None:
    target = tmp_path / "small.int8.onnx"
    report = _export(target, calibration_images=8)
    assert report.path == target and target.is_file()  # type: ignore[attr-defined]
    ops = report.runtime_ops  # type: ignore[attr-defined]
    assert ops.total == 4 and ops.share >= MIN_INT8_SHARE, ops.histogram
    assert report.file_ops.quantized == 4  # type: ignore[attr-defined]
    assert count_runtime_ops(target).share == ops.share
    assert report.int8_bytes < 0.5 * report.fp32_bytes  # type: ignore[attr-defined]
    assert report.calibration_images == 8  # type: ignore[attr-defined]
    assert report.fp32.images == report.int8.images == 10  # type: ignore[attr-defined]
    assert len(report.int8.per_class) == 3  # type: ignore[attr-defined]
    assert report.fp32_ms > 0 and report.int8_ms > 0  # type: ignore[attr-defined]
    assert any("INT8 kernels: 4 of 4" in line for line in report.table())  # type: ignore[attr-defined]
    loaded = load_exported(target)
    assert loaded.labels == tuple(CLASSES)
    assert loaded(torch.randn(3, 3, 24, 24))[0].shape == (3, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.int8.onnx"], "no scratch left"


def test_fp32_file_is_counted_as_float(tmp_path: Path) -> None:
    from designer.export import export_model

    path = tmp_path / "small.onnx"
    export_model(SmallNet(), "onnx", path, example_input=torch.randn(2, 3, 24, 24))
    assert count_file_ops(path).quantized == 0
    runtime = count_runtime_ops(path)
    assert runtime.quantized == 0 and runtime.floating == 4


def test_a_quantizer_that_leaves_layers_float_is_refused(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What other tools ship as "INT8": a file whose convolutions still run in float."""
    import onnxruntime.quantization as ortq

    monkeypatch.setattr(ortq, "quantize_static",
                        lambda src, dst, *_a, **_k: shutil.copyfile(src, dst))
    target = tmp_path / "small.int8.onnx"
    target.write_bytes(b"an older export")
    with pytest.raises(ExportError, match="would not be an INT8 model"):
        _export(target)
    assert target.read_bytes() == b"an older export", "a refused export replaces nothing"
    assert [p.name for p in tmp_path.iterdir()] == ["small.int8.onnx"]


def test_cancel_and_missing_validation_leave_no_file(tmp_path: Path) -> None:
    target = tmp_path / "small.int8.onnx"
    with pytest.raises(ExportCancelledError):
        _export(target, cancel=lambda: True)
    with pytest.raises(ExportError, match="validation split, which is empty"):
        quantize_int8(SmallNet(), target, calibration=_data(4, 1), validation=_data(0, 2),
                      example_input=torch.randn(1, 3, 24, 24))
    assert not any(tmp_path.iterdir())
