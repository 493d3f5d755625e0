"""`netdesigner train` times the trained model only when asked, and says when it did not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.cli import main
from designer.project.runs import RunRecord


def _train(colour_images: Path, out: Path, *extra: str) -> None:
    code = main(["train", "--model", "resnet18", "--weights", "none", "--data", str(colour_images),
                 "--image-size", "32", "--epochs", "1", "--device", "cpu", "--out", str(out),
                 *extra])
    assert code == 0


def test_latency_is_measured_only_when_asked(colour_images: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _train(colour_images, tmp_path / "quick", "--json")
    quick = json.loads(capsys.readouterr().out)
    assert quick["stats"]["latency_ms"] is None and quick["latency_measured"] is False
    assert RunRecord.load(Path(quick["run_dir"])).stats.latency_ms is None  # the record says so
    assert quick["evaluation"]["accuracy"] is not None  # evaluation is never skipped

    _train(colour_images, tmp_path / "timed", "--measure-latency")
    printed = capsys.readouterr().out
    assert "not measured" not in printed
    timed = RunRecord.load(next((tmp_path / "timed").iterdir()))
    assert timed.stats.latency_ms is not None and timed.stats.latency_ms > 0
