"""`netdesigner evaluate` and `predict` name every unreadable image and use all the others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from designer.cli import main
from designer.cli.runs import SOME_SKIPPED


@pytest.fixture
def damaged_folder(tmp_path: Path, image_folder: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(image_folder, folder)
    good = (folder / "red" / "red0.png").read_bytes()
    (folder / "red" / "red0.png").write_bytes(good[: len(good) // 2])  # truncated
    (folder / "blue" / "photo.jpg").write_bytes(b"")
    return folder


def test_evaluate_skips_a_truncated_image_and_lists_it(
    trained_run: Path, damaged_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evaluate", str(trained_run), "--data", str(damaged_folder), "--json"])
    out, err = capsys.readouterr()
    assert code == SOME_SKIPPED
    result = json.loads(out)
    assert sum(map(sum, result["confusion"])) == 11  # 12 images, one truncated, one empty file
    skipped = {Path(s["path"]).name: s["reason"] for s in result["skipped"]}
    assert set(skipped) == {"red0.png", "photo.jpg"}
    assert "truncated" in skipped["red0.png"] and "empty" in skipped["photo.jpg"]
    assert f"skipped {damaged_folder / 'red' / 'red0.png'}: truncated" in err
    assert "Traceback" not in err


def test_predict_keeps_going_past_bad_files(
    trained_run: Path, damaged_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = damaged_folder / "blue" / "blue1.png"
    cut = damaged_folder / "red" / "red0.png"
    missing = damaged_folder / "nope.png"
    code = main(["predict", str(trained_run), str(cut), str(good), str(missing)])
    out, err = capsys.readouterr()
    assert code == SOME_SKIPPED
    assert out.splitlines()[0].startswith(f"{good}: ")
    assert len(out.splitlines()) == 1
    assert f"cannot read {cut}: truncated" in err
    assert f"cannot read {missing}: cannot read file (No such file or directory)" in err
    assert main(["predict", str(trained_run), str(missing)]) == 1
