"""OpenVINO IR: both files land together after the parity check on OpenVINO's CPU runtime."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import Tensor, fx

from designer.export import ExportCancelledError, ExportError, export_model, fmt_openvino, load_exported


def test_openvino_writes_xml_and_bin_checked_and_timed(tiny: fx.GraphModule, tiny_input: Tensor,
                                                        tmp_path: Path) -> None:
    report = export_model(tiny, "openvino", tmp_path / "tiny.xml", example_input=tiny_input,
                          labels=["a", "b", "c"])
    assert [p.name for p in report.paths] == ["tiny.xml", "tiny.bin"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.bin", "tiny.xml"]
    assert report.max_abs_diff <= 1e-4, "OpenVINO's CPU runtime computes what the model computes"
    assert set(report.latency_ms) == {"openvino", "pytorch"}
    assert all(ms > 0 for ms in report.latency_ms.values())
    assert "latency" in report.summary()
    loaded = load_exported(tmp_path / "tiny.xml")
    assert loaded.format == "openvino" and loaded.labels == ("a", "b", "c")
    x = torch.randn(4, 3, 16, 16)
    tiny.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)[0], tiny(x), atol=1e-4, rtol=1e-4)


def test_a_failed_openvino_export_leaves_neither_file(tiny: fx.GraphModule, tiny_input: Tensor,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_path: Path, _model: object = None) -> object:
        raise RuntimeError("runtime refused the IR")

    monkeypatch.setattr(fmt_openvino, "load", broken)
    with pytest.raises(ExportError, match="parity check failed"):
        export_model(tiny, "openvino", tmp_path / "tiny.xml", example_input=tiny_input)
    with pytest.raises(ExportCancelledError):
        export_model(tiny, "openvino", tmp_path / "tiny.xml", example_input=tiny_input,
                     cancel=lambda: True)
    assert not any(tmp_path.iterdir())
