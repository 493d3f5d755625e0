"""`netdesigner train` with the regulariser flags: recorded in the run, explained in its log,
wrong values named before anything slow happens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.cli import main


def test_regulariser_flags_reach_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", "mobilenet_v3_small", "--weights", "none",
                 "--data", "sample:shapes", "--image-size", "32", "--epochs", "1",
                 "--sampler", "balanced", "--mixup-alpha", "0.2", "--cutmix-alpha", "1.0",
                 "--ema-decay", "0.5", "--augment", "trivialaugment",
                 "--out", str(tmp_path), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    run_dir = Path(json.loads(out.out)["run_dir"])
    options = json.loads((run_dir / "options.json").read_text())
    assert (options["sampler"], options["mixup_alpha"], options["cutmix_alpha"],
            options["ema_decay"]) == ("balanced", 0.2, 1.0, 0.5)
    log = (run_dir / "run.log").read_text()
    assert "balanced sampler: each epoch draws" in log
    assert "MixUp/CutMix on (mixup alpha 0.2, cutmix alpha 1)" in log
    assert "model EMA on (decay 0.5" in log and "the saved weights are the EMA" in log
    data = json.loads((run_dir / "run.json").read_text())["data"]
    assert data["augment"]["policy"] == "trivialaugment" and data["augment"]["hflip"]


@pytest.mark.parametrize(("flag", "value", "words"), [
    ("--mixup-alpha", "-1", "mixup_alpha must be greater than 0"),
    ("--ema-decay", "1.5", "ema_decay must be between 0 and 1"),
])
def test_wrong_values_are_named(flag: str, value: str, words: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--model", "mobilenet_v3_small", "--weights", "none", "--data",
                 "sample:shapes", flag, value, "--out", str(tmp_path)]) != 0
    assert words in capsys.readouterr().err
