"""Headless workflow from the command line: train, save a design, train it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.cli import main
from designer.project.design_io import DesignLoadError, load_design, save_design
from designer.surgery.opening import open_model


@pytest.mark.slow
def test_train_cli_on_generated_shapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", "mobilenet_v3_small", "--weights", "none",
                 "--data", "sample:shapes", "--image-size", "48", "--epochs", "2",
                 "--freeze-up-to", "", "--out", str(tmp_path), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["reason"] == "completed"
    assert result["stats"]["num_classes"] == 4
    assert result["evaluation"]["accuracy"] is not None
    run_dir = Path(result["run_dir"])
    assert (run_dir / "best.safetensors").is_file()
    assert (run_dir / "evaluation.json").is_file()

    from designer.data import default_sample_root, generated_dataset

    shapes = generated_dataset(default_sample_root())
    image = next(shapes.rglob("*.png"))
    assert main(["predict", str(run_dir), str(image), "--json"]) == 0
    top = json.loads(capsys.readouterr().out)[0]["top"]
    assert len(top) == 3
    assert {label for label, _ in top} <= {"circle", "square", "triangle", "stripes"}
    assert main(["evaluate", str(run_dir), "--data", str(shapes), "--json"]) == 0
    assert 0.0 <= json.loads(capsys.readouterr().out)["accuracy"] <= 1.0
    out = tmp_path / "model.safetensors"
    assert main(["export", str(run_dir), "--format", "safetensors", "--out", str(out)]) == 0
    assert out.is_file()
    assert "max |diff|" in capsys.readouterr().out


@pytest.mark.slow
def test_train_cli_fine_tune_recipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", "mobilenet_v3_small", "--weights", "none",
                 "--data", "sample:shapes", "--image-size", "48", "--epochs", "2",
                 "--recipe", "finetune", "--head-epochs", "1", "--out", str(tmp_path), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    run_dir = Path(json.loads(out.out)["run_dir"])
    options = json.loads((run_dir / "options.json").read_text())
    assert options["recipe"] == "finetune" and options["head_epochs"] == 1
    assert "phase 2 from epoch 2" in (run_dir / "run.log").read_text()
    assert main(["train", "--model", "mobilenet_v3_small", "--weights", "none", "--data",
                 "sample:shapes", "--epochs", "2", "--recipe", "finetune", "--head-epochs", "2",
                 "--out", str(tmp_path)]) != 0
    assert "head_epochs < epochs" in capsys.readouterr().err


@pytest.mark.slow
def test_train_cli_finds_the_learning_rate_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", "mobilenet_v3_small", "--weights", "none",
                 "--data", "sample:shapes", "--image-size", "48", "--epochs", "1",
                 "--find-lr", "--out", str(tmp_path), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "learning-rate range test:" in out.err and "Suggested learning rate" in out.err
    suggested = float(out.err.split("Suggested learning rate ")[1].split()[0])
    options = json.loads((Path(json.loads(out.out)["run_dir"]) / "options.json").read_text())
    assert options["lr"] == pytest.approx(suggested, rel=0.05)  # the run used the suggestion


def test_train_cli_reports_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", "squeezenet1_1", "--weights", "none",
                 "--data", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert code == 1
    assert "is not a folder" in capsys.readouterr().err


def test_saved_design_loads_back_identically(tmp_path: Path) -> None:
    import torch

    design = open_model("resnet18", input_size=32)
    design.replace_head(3, class_names=["a", "b", "c"], dropout=0.3)
    design.insert_layer("layer4_1_relu_1", "Dropout2d", p=0.1)
    design.freeze(up_to="layer2_1_relu_1")
    save_design(design, tmp_path / "d")
    again = load_design(tmp_path / "d")
    assert list(again.network) == list(design.network)
    assert again.info == design.info
    a, b = design.state_dict(), again.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(design.build()(x), again.build()(x))
    (tmp_path / "d" / "weights.safetensors").write_bytes(b"garbage")
    with pytest.raises(DesignLoadError, match="safetensors"):
        load_design(tmp_path / "d")
