"""A timm design exports to every format, each file checked against the design's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from designer.export import FORMATS, SUFFIXES, Format, export_model, load_exported
from designer.surgery.opening import open_model

TAG = "test_convnext.r160_in1k"  # timm's 0.3 M-parameter ConvNeXt


@pytest.mark.parametrize("fmt", FORMATS)
def test_tiny_timm_design_exports_with_parity(fmt: Format, tmp_path: Path) -> None:
    design = open_model(TAG, "none", input_size=64)
    design.replace_head(3, class_names=["cat", "dog", "bird"])
    model = design.build()
    x = torch.randn(1, 3, 64, 64)
    report = export_model(model, fmt, tmp_path / f"model{SUFFIXES[fmt]}", example_input=x,
                          labels=list(design.info.class_names),
                          preprocessing=design.info.preprocessing)
    assert report.path.is_file() and 0.0 <= report.max_abs_diff <= 1e-4
    loaded = load_exported(report.path, model=design.build())
    assert loaded.labels == ("cat", "dog", "bird")
    batch = torch.randn(2, 3, 64, 64)  # a batch size the exporter's own check did not use
    with torch.no_grad():
        expected = model(batch)
    (got,) = loaded(batch)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
