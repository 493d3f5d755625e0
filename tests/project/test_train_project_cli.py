"""`netdesigner train PROJECT [--nproc 2]` adds runs to the project; the DDP run loads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from designer.cli import main
from designer.project.data_config import DataConfig, prepare_data
from designer.project.project_file import Project, open_project, save_project
from designer.project.run_model import run_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions


@pytest.mark.slow
def test_project_trains_headless_on_one_and_two_processes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    design = open_model("resnet18", input_size=32)
    config = DataConfig(image_size=32)
    data = prepare_data(config, design.info.preprocessing, check_health=False)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze(up_to="layer3_1_relu_1")
    options = TrainingOptions(epochs=1, batch_size=8, mixed_precision="off", num_workers=0)
    save_project(Project(tmp_path / "p", design, config, options, data.manifest))

    assert main(["train", str(tmp_path / "p"), "--json"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert single["summary"]["reason"] == "completed"
    assert main(["train", str(tmp_path / "p"), "--nproc", "2", "--json"]) == 0
    ddp = json.loads(capsys.readouterr().out)
    assert ddp["summary"]["processes"] == 2
    assert ddp["evaluation"]["accuracy"] is not None

    project = open_project(tmp_path / "p")
    assert len(project.runs) == 2
    trained = run_design(Path(ddp["run_dir"]))
    before = design.state_dict()
    after = trained.state_dict()
    assert torch.equal(before["conv1.weight"], after["conv1.weight"]), "frozen layers unchanged"
    assert not torch.equal(before["layer4.0.conv1.weight"], after["layer4.0.conv1.weight"])
    x = torch.randn(2, 3, 32, 32)
    assert trained.build()(x).shape == (2, len(data.classes))


def test_train_without_a_source_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train"]) == 1
    assert "PROJECT folder, --model NAME, --design FILE or --resume RUN" in capsys.readouterr().err
