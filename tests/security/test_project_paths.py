"""project.json names folders; opening and saving stay inside the project and delete only ours.

Each test keeps a "victim" folder beside the project, holding a valid design and a precious
file, and checks it is neither read as the project's design nor deleted nor overwritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from designer.project.data_config import DataConfig
from designer.project.design_io import save_design
from designer.project.project_file import (
    AUTOSAVE,
    LOCK,
    Project,
    ProjectError,
    acquire_lock,
    autosave,
    open_project,
    recoverable_autosave,
    save_project,
)

PRECIOUS = "precious.txt"


@pytest.fixture
def victim(tmp_path: Path, kit: Any) -> Path:
    folder = tmp_path / "victim"
    save_design(kit.tiny_design(), folder)
    (folder / PRECIOUS).write_text("keep me", encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path: Path, kit: Any) -> Path:
    folder = tmp_path / "project"
    save_project(Project(folder, kit.tiny_design(), DataConfig(source=str(tmp_path / "data"))))
    run = folder / "runs" / "20261128-120000-custom"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"name": "kept"}), encoding="utf-8")
    return folder


def _intact(victim: Path) -> bool:
    return (victim / PRECIOUS).read_text(encoding="utf-8") == "keep me" and \
        (victim / "design.json").is_file() and (victim / "weights.safetensors").is_file()


def _set_design(project: Path, value: object) -> None:
    path = project / "project.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["design"] = value
    path.write_text(json.dumps(data), encoding="utf-8")


def _escapes(victim: Path) -> list[object]:
    return [".", "..", "../victim", str(victim), "design-x/../../victim", "..\\victim",
            "link-out", "", None, 7]


@pytest.mark.parametrize("index", range(10))
def test_open_refuses_a_design_folder_outside_the_project(index: int, project: Path,
                                                          victim: Path) -> None:
    value = _escapes(victim)[index]
    (project / "link-out").symlink_to(victim, target_is_directory=True)
    _set_design(project, value)
    with pytest.raises(ProjectError, match="was refused"):
        open_project(project)
    assert _intact(victim)


@pytest.mark.parametrize("index", range(8))
def test_save_never_deletes_what_project_json_names_outside_or_not_ours(
        index: int, project: Path, victim: Path, kit: Any) -> None:
    opened = open_project(project)
    (project / "link-out").symlink_to(victim, target_is_directory=True)
    value = [*_escapes(victim)[:7], "runs"][index]
    _set_design(project, value)  # edited on disk after the project was opened
    save_project(opened)
    assert _intact(victim)
    assert (project / "runs" / "20261128-120000-custom" / "run.json").is_file()
    again = open_project(project)
    assert [r.name for r in again.runs + again.interrupted_runs] == ["kept"]


def test_save_still_replaces_its_own_previous_design_folder(project: Path, kit: Any) -> None:
    opened = open_project(project)
    old = json.loads((project / "project.json").read_text(encoding="utf-8"))["design"]
    os.rename(project / old, project / "design-20200101-000000-1")
    _set_design(project, "design-20200101-000000-1")
    save_project(opened)
    assert sorted(p.name for p in project.glob("design-*")) == [
        json.loads((project / "project.json").read_text(encoding="utf-8"))["design"]]


def test_autosave_never_writes_through_a_link(project: Path, victim: Path, kit: Any) -> None:
    (project / AUTOSAVE).symlink_to(victim, target_is_directory=True)
    before = (victim / "design.json").read_bytes()
    assert recoverable_autosave(project) is None
    autosave(project, kit.tiny_design())
    assert _intact(victim) and (victim / "design.json").read_bytes() == before
    assert not (victim / "autosave.json").exists()
    assert not (project / AUTOSAVE).is_symlink() and (project / AUTOSAVE / "design.json").is_file()


def test_the_lock_file_never_writes_through_a_link(project: Path, victim: Path) -> None:
    (project / LOCK).symlink_to(victim / PRECIOUS)
    acquire_lock(project)
    assert _intact(victim)
    assert not (project / LOCK).is_symlink()
    assert (project / LOCK).read_text(encoding="utf-8") == str(os.getpid())


def test_a_runs_folder_that_links_outside_is_refused(project: Path, victim: Path) -> None:
    (project / "runs").rename(project / "runs-moved")
    (project / "runs").symlink_to(victim, target_is_directory=True)
    with pytest.raises(ProjectError, match="leads outside the project"):
        open_project(project)


def test_a_run_folder_that_links_outside_is_not_listed(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere-run"
    elsewhere.mkdir()
    (elsewhere / "run.json").write_text(json.dumps({"name": "foreign"}), encoding="utf-8")
    (project / "runs" / "linked").symlink_to(elsewhere, target_is_directory=True)
    opened = open_project(project)
    assert [r.name for r in opened.runs + opened.interrupted_runs] == ["kept"]
