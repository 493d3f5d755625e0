"""When the preferred exporter fails, the fallback is used, checked, and named in the report."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch
from torch import Tensor, fx, nn

from designer.export import ExportCancelledError, Format, export_model, fmt_onnx, load_exported
from designer.export.metadata import WriteJob

pytestmark = pytest.mark.filterwarnings("error")


class Unscriptable(nn.Module):
    """A lambda in forward: torch.jit.script cannot compile it, torch.jit.trace can."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x: Tensor) -> Tensor:
        x = functools.reduce(lambda a, b: a + b, [self.conv(x), self.conv(x)])
        return self.fc(x.mean(dim=(2, 3)))


def test_torchscript_falls_back_to_trace(tiny_input: Tensor, tmp_path: Path) -> None:
    model = Unscriptable()

    report = export_model(model, "torchscript", tmp_path / "m.pt", example_input=tiny_input)

    assert report.method == "torch.jit.trace"
    assert any("torch.jit.script failed" in w for w in report.warnings)
    assert report.max_abs_diff <= 1e-4
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(load_exported(report.path)(x)[0], model.eval()(x))


def test_cancel_during_the_first_onnx_exporter_skips_the_fallback(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancelled: list[bool] = []
    legacy_calls: list[WriteJob] = []

    def dynamo_fails_while_the_user_cancels(job: WriteJob) -> None:
        cancelled.append(True)  # the user clicked Cancel during the long first attempt
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(fmt_onnx, "_export_dynamo", dynamo_fails_while_the_user_cancels)
    monkeypatch.setattr(fmt_onnx, "_export_legacy", legacy_calls.append)

    with pytest.raises(ExportCancelledError, match="no file was written"):
        export_model(tiny, "onnx", tmp_path / "m.onnx", example_input=tiny_input,
                     cancel=lambda: bool(cancelled))

    assert legacy_calls == []
    assert list(tmp_path.iterdir()) == []


def test_onnx_falls_back_to_the_legacy_exporter(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dynamo_fails(job: WriteJob) -> None:
        job.path.write_bytes(b"half a file")
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(fmt_onnx, "_export_dynamo", dynamo_fails)

    report = export_model(tiny, "onnx", tmp_path / "m.onnx", example_input=tiny_input, labels=["a", "b", "c"])

    assert "dynamo=False" in report.method
    assert any("unsupported operator" in w for w in report.warnings)
    assert any("legacy" in w for w in report.warnings)
    loaded = load_exported(report.path)
    assert loaded.labels == ("a", "b", "c")
    x = torch.randn(5, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)[0], tiny.eval()(x), atol=1e-4, rtol=1e-4)


class TwoHeads(nn.Module):
    """Returns a dict of two tensors: every output must be compared, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Conv2d(3, 4, 3)
        self.a = nn.Linear(4, 2)
        self.b = nn.Linear(4, 6)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        features = self.body(x).mean(dim=(2, 3))
        return {"a": self.a(features), "b": self.b(features)}


@pytest.mark.parametrize("fmt", ["pt2", "onnx"])
def test_models_with_several_outputs(fmt: Format, tiny_input: Tensor, tmp_path: Path) -> None:
    model = TwoHeads()

    report = export_model(model, fmt, tmp_path / f"m.{fmt}", example_input=tiny_input)

    outputs = load_exported(report.path)(torch.randn(2, 3, 16, 16))
    assert [tuple(t.shape) for t in outputs] == [(2, 2), (2, 6)]
