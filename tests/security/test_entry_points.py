"""Every command that opens a design refuses a poisoned one before anything it names runs.

The same poisoned design (its ``add`` layer calls ``os:system``) goes through each way in:
`netdesigner train --design` and `export RUN` as real subprocesses, `evaluate RUN`,
`predict RUN`, `train PROJECT` and `open_project` in-process. Each must fail with one message
naming the layer, without a traceback, and the shell command must not have run. The last test
is the control: the same files unpoisoned go through the same commands.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from designer.cli import main
from designer.project.data_config import DataConfig
from designer.project.project_file import Project, ProjectError, open_project, save_project
from designer.training.options import TrainingOptions

REPO = Path(__file__).resolve().parents[2]
REFUSAL = "layer 'add' calls os:system, which NetDesigner does not run from files"


def _poison(evil: Any, kit: Any) -> Any:
    def poison(data: dict[str, Any]) -> None:
        layer = kit.layer_of(data["network"]["layers"], "function", "_operator:add")
        layer["target"] = "os:system"
        layer["args"] = {"$tuple": [f"touch {evil.shell}"]}

    return poison


def _run_folder(design_dir: Path, run: Path) -> Path:
    """A run folder as `netdesigner train` leaves it, holding the given design."""
    run.mkdir(parents=True)
    data = json.loads((design_dir / "design.json").read_text(encoding="utf-8"))
    (run / "design.json").write_text(json.dumps({"network": data["network"],
                                                 "info": data["info"]}), encoding="utf-8")
    shutil.copyfile(design_dir / "weights.safetensors", run / "best.safetensors")
    (run / "run.json").write_text(json.dumps({"name": "crafted", "data": {"image_size": 16}}),
                                  encoding="utf-8")
    return run


def _project(folder: Path, design: Any, data: Path) -> Path:
    save_project(Project(folder, design, DataConfig(source=str(data), image_size=16),
                         TrainingOptions(epochs=1, batch_size=4, num_workers=0)))
    return folder


def _poison_project(project: Path, evil: Any, kit: Any) -> None:
    name = json.loads((project / "project.json").read_text(encoding="utf-8"))["design"]
    design_dir = project / name
    kit.craft(design_dir, design_dir, _poison(evil, kit))


def _cli(*args: str, evil: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(evil.folder)]),
           "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "designer", *args], capture_output=True,
                          text=True, env=env, timeout=600, check=False)


def test_train_design_subprocess_refuses(design_dir: Path, evil: Any, kit: Any,
                                         tmp_path: Path) -> None:
    bad = kit.craft(design_dir, tmp_path / "bad", _poison(evil, kit))
    data = kit.image_folder(tmp_path / "data")
    done = _cli("train", "--design", str(bad), "--data", str(data), "--epochs", "1",
                "--image-size", "16", "--out", str(tmp_path / "runs"), evil=evil)
    assert done.returncode == 1
    assert REFUSAL in done.stderr and "Traceback" not in done.stderr
    assert evil.nothing_ran()
    assert not (tmp_path / "runs").exists()  # no run folder copies the design


def test_export_run_subprocess_refuses(design_dir: Path, evil: Any, kit: Any,
                                       tmp_path: Path) -> None:
    run = _run_folder(kit.craft(design_dir, tmp_path / "bad", _poison(evil, kit)),
                      tmp_path / "run")
    out = tmp_path / "model.safetensors"
    done = _cli("export", str(run), "--format", "safetensors", "--out", str(out), evil=evil)
    assert done.returncode == 1
    assert REFUSAL in done.stderr and "Traceback" not in done.stderr
    assert evil.nothing_ran() and not out.exists()


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_evaluate_and_predict_refuse(command: str, design_dir: Path, evil: Any, kit: Any,
                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _run_folder(kit.craft(design_dir, tmp_path / "bad", _poison(evil, kit)),
                      tmp_path / "run")
    data = kit.image_folder(tmp_path / "data")
    extra = ["--data", str(data)] if command == "evaluate" else [str(data / "a" / "a0.png")]
    assert main([command, str(run), *extra]) == 1
    assert REFUSAL in capsys.readouterr().err
    assert evil.nothing_ran()


def test_train_project_and_open_project_refuse(evil: Any, kit: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path / "project", kit.tiny_design(), kit.image_folder(tmp_path / "d"))
    _poison_project(project, evil, kit)
    with pytest.raises(ProjectError, match=REFUSAL):
        open_project(project)
    assert main(["train", str(project)]) == 1
    assert REFUSAL in capsys.readouterr().err
    assert evil.nothing_ran()
    assert not (project / "runs").exists()


def test_the_unpoisoned_files_go_through_the_same_commands(
        design_dir: Path, evil: Any, kit: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    data = kit.image_folder(tmp_path / "data")
    run = _run_folder(design_dir, tmp_path / "run")
    assert main(["evaluate", str(run), "--data", str(data), "--json"]) == 0
    assert 0.0 <= json.loads(capsys.readouterr().out)["accuracy"] <= 1.0
    assert main(["export", str(run), "--format", "safetensors",
                 "--out", str(tmp_path / "m.safetensors")]) == 0
    assert (tmp_path / "m.safetensors").is_file()
    assert "max |diff|" in capsys.readouterr().out
    project = _project(tmp_path / "project", kit.tiny_design(), data)
    assert main(["train", str(project), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["reason"] == "completed"
    assert len(open_project(project).runs) == 1
