"""Reading artefacts back: format detection and helpful errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from torch import Tensor, fx, nn

from designer.export import (
    FORMATS,
    SUFFIXES,
    ExportError,
    Format,
    detect_format,
    export_model,
    load_exported,
)
from designer.export._warnings import summarise

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_is_detected_from_content(
    fmt: Format, tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    report = export_model(
        tiny,
        fmt,
        tmp_path / f"m{SUFFIXES[fmt]}",
        example_input=tiny_input,
    )
    renamed = tmp_path / "artefact.bin"
    shutil.copy(report.path, renamed)

    assert detect_format(report.path) == fmt
    assert detect_format(renamed) == fmt


def test_safetensors_needs_the_model(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    report = export_model(tiny, "safetensors", tmp_path / "m.safetensors", example_input=tiny_input)

    with pytest.raises(ExportError, match="weights only: pass the model"):
        load_exported(report.path)


def test_safetensors_into_the_wrong_model(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    report = export_model(tiny, "safetensors", tmp_path / "m.safetensors", example_input=tiny_input)
    other = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8, 3))

    with pytest.raises(ExportError, match="does not fit this model"):
        load_exported(report.path, model=other)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        load_exported(tmp_path / "gone.onnx")


def test_unknown_content(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 not a model")

    with pytest.raises(ExportError, match="cannot tell which format"):
        detect_format(junk)


def test_warning_summary_collapses_repeats_and_maps_deprecations() -> None:
    raw = [
        "FutureWarning: `torch.jit.script` is deprecated. Please switch to `torch.compile`.",
        "FutureWarning: `torch.jit.save` is deprecated. Please switch to `torch.export`.",
        "UserWarning: The TorchScript type system doesn't support instance-level annotations",
        "UserWarning: something the user should see",
        "UserWarning: something the user should see",
    ]

    lines = summarise(raw)

    assert len(lines) == 2
    assert lines[0].startswith("TorchScript (torch.jit) is deprecated")
    assert lines[1] == "UserWarning: something the user should see (×2)"
