"""`netdesigner PROJECT --screenshot FILE` renders the window and exits, in every case."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import designer
from designer.project.project_file import LOCK, Project, autosave, save_project
from designer.surgery.opening import open_model

REPO = Path(designer.__file__).resolve().parents[1]
LIMIT_S = 300  # bound on a hang; a healthy run takes seconds (more on a busy machine)


def screenshot(project: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "designer", str(project), "--screenshot",
                           str(out)], env=env, text=True, capture_output=True, timeout=LIMIT_S,
                          check=False)


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.slow
def test_screenshot_of_a_project_exits_even_with_an_autosave_to_offer(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    design = open_model("resnet18", "none", input_size=32)
    save_project(Project(folder, design))
    design.replace_head(3, class_names=["a", "b", "c"])
    autosave(folder, design)  # newer than the save, and the app that wrote it "crashed":
    (folder / LOCK).write_text(str(dead_pid()))  # the window would ask whether to restore it
    out = tmp_path / "shot.png"
    done = screenshot(folder, out)
    assert done.returncode == 0, done.stderr
    assert f"netdesigner: saved {out}" in done.stderr
    with Image.open(out) as image:
        assert image.width > 600 and image.height > 400


def test_screenshot_of_a_damaged_project_exits_with_status_1(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "project.json").write_text("{ not json")
    out = tmp_path / "shot.png"
    done = screenshot(folder, out)
    assert done.returncode == 1, done.stderr
    assert "did not open" in done.stderr and out.is_file()
    assert "Traceback" not in done.stderr
