"""Projects survive save/close/reopen and a killed process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from designer.project.data_config import DataConfig, prepare_data
from designer.project.project_file import (
    Project,
    ProjectError,
    acquire_lock,
    autosave,
    open_project,
    recoverable_autosave,
    save_as,
    save_project,
)
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions


def _tiny_project(folder: Path) -> Project:
    design = open_model("mobilenet_v3_small", input_size=32)
    config = DataConfig(image_size=32, seed=3)
    data = prepare_data(config, design.info.preprocessing, check_health=False)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    options = TrainingOptions(epochs=2, batch_size=16, lr=0.01)
    project = Project(folder, design, config, options, data.manifest)
    for lr in (0.01, 0.003):
        options = TrainingOptions(epochs=2, batch_size=16, lr=lr)
        project.runs.append(train_design(design, data, options, runs_root=project.runs_root))
    return project


@pytest.mark.slow
def test_save_close_reopen_keeps_everything(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "p")
    save_project(project)
    again = open_project(tmp_path / "p")
    assert list(again.design.network) == list(project.design.network)
    a, b = project.design.state_dict(), again.design.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and a.keys() == b.keys()
    assert again.options == project.options
    assert again.data_config == project.data_config
    assert again.manifest is not None and project.manifest is not None
    assert again.manifest.to_dict() == project.manifest.to_dict()
    assert [r.run_dir for r in again.runs] == [r.run_dir for r in project.runs]
    assert [r.history for r in again.runs] == [r.history for r in project.runs]
    assert [r.summary.best_val_acc for r in again.runs] == \
        [r.summary.best_val_acc for r in project.runs]
    copied = save_as(again, tmp_path / "copy")
    assert len(open_project(copied.folder).runs) == 2


def test_newer_or_damaged_project_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a NetDesigner project"):
        open_project(tmp_path)
    (tmp_path / "project.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(ProjectError, match="damaged"):
        open_project(tmp_path)
    (tmp_path / "project.json").write_text(json.dumps(
        {"format": "netdesigner.project", "version": 99}), encoding="utf-8")
    with pytest.raises(ProjectError, match="newer NetDesigner"):
        open_project(tmp_path)


_KILLED_APP = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from designer.project.data_config import DataConfig, prepare_data
    from designer.project.project_file import Project, acquire_lock, autosave, save_project
    from designer.project.workflow import train_design
    from designer.surgery.opening import open_model
    from designer.training.options import TrainingOptions
    folder = Path(sys.argv[1])
    design = open_model("mobilenet_v3_small", input_size=48)
    data = prepare_data(DataConfig(image_size=48), design.info.preprocessing, check_health=False)
    design.replace_head(len(data.classes), class_names=data.classes)
    acquire_lock(folder)
    project = Project(folder, design, DataConfig(image_size=48), TrainingOptions())
    train_design(design, data, TrainingOptions(epochs=1, batch_size=16), runs_root=folder / "runs")
    save_project(project)
    design.freeze_backbone()
    autosave(folder, design)
    print("READY", flush=True)
    train_design(design, data, TrainingOptions(epochs=500, batch_size=8, feature_cache="off"),
                 runs_root=folder / "runs")
""")


@pytest.mark.slow
def test_killed_during_training_recovers_design_and_finished_runs(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    script = tmp_path / "app.py"
    script.write_text(_KILLED_APP, encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(script), str(folder)],
                               stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "READY"
    deadline = time.time() + 120
    while time.time() < deadline and len(list((folder / "runs").glob("*"))) < 2:
        time.sleep(0.2)
    time.sleep(3)  # let it train a few iterations
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    process.stdout.close()
    project = open_project(folder)
    assert len(project.runs) == 1 and project.runs[0].finished
    assert len(project.interrupted_runs) == 1
    restored = recoverable_autosave(folder)
    assert restored is not None, "the killed app left a newer autosave to offer"
    from designer.project.design_io import load_design

    design = load_design(restored)
    assert design.frozen_layers(), "the autosave holds the edit made after the last save"
    acquire_lock(folder)
    assert recoverable_autosave(folder) is None, "our own lock is not a crash"
    autosave(folder, design)
