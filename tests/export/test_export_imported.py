"""An imported model exports like a zoo model: .pt2 made by the test -> open_file -> export
(ONNX, .pt2, safetensors), each with the export's parity check, and the ONNX file still
computes what the original module computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import designer
from designer.core.trust import TrustStore
from designer.export import export_model


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.clamp(self.conv(x), -2.0, 2.0) + x  # clamp stays an opaque node
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


@pytest.mark.parametrize("fmt", ["onnx", "pt2", "safetensors"])
def test_imported_pt2_exports_with_parity(tmp_path: Path, fmt: str) -> None:
    source = Net().eval()
    x = torch.randn(2, 3, 32, 32)
    archive = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(source, (x[:1],)), archive)
    result = designer.open_file(archive, trust_store=TrustStore(tmp_path / "trust.json"))
    assert result.design is not None and len(result.report.opaque) == 1
    model = result.design.build()

    out = tmp_path / f"exported.{fmt}"
    report = export_model(model, fmt, out, example_input=x[:1])  # type: ignore[arg-type]

    assert report.path.is_file() and report.max_abs_diff <= 1e-4
    if fmt == "onnx":  # the exported file against the user's original module
        import onnxruntime

        session = onnxruntime.InferenceSession(str(report.path),
                                               providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        with torch.no_grad():
            want = source(x).numpy()
        assert np.abs(got - want).max() < 1e-4
