"""`netdesigner export RUN --format onnx-int8`: calibrated on the run's data, table printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.cli import main


def test_export_int8_from_a_run(trained_run: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "model.int8.onnx"
    assert main(["export", str(trained_run), "--format", "onnx-int8", "--out", str(out),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert out.is_file() and report["paths"] == [str(out)]
    assert report["runtime_ops"]["share"] >= 0.9
    assert report["int8_bytes"] < 0.35 * report["fp32_bytes"]
    assert report["validation_images"] >= 1 and report["classes"] == ["blue", "red"]
