"""Project folders: the design, the data settings, the training options and every run.

Layout of a project folder::

    project.json            format, version, data config, options, which design folder is current
    design-<stamp>/         design.json + weights.safetensors (JSON + safetensors, no pickle)
    runs/<run>/             one folder per training run (written by the engine and the workflow)
    .autosave/              the latest autosaved design (newer than project.json after a crash)
    .netdesigner.lock       present while an app has the project open (pid inside)

Every file is written to a temporary name and renamed into place, and project.json is written
last: it is the commit point, so a crash mid-save leaves the previous project intact.

project.json is data from whoever wrote it: the design folder it names is resolved with
`designer.core.paths.inside` (never the project folder itself, never outside it, never through
a symlink that leads out), and saving deletes only folders whose names we generate
(``design-<stamp>-<pid>``, ``.autosave``) with `remove_generated`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.core.errors import UserError
from designer.core.paths import PathEscapeError, inside, is_within, remove_generated
from designer.data import SplitManifest
from designer.data.errors import ManifestError
from designer.project.data_config import DataConfig
from designer.project.runs import RunRecord, list_runs
from designer.training.options import TrainingOptions
from designer.training.run_dir import write_json

if TYPE_CHECKING:
    from designer.project.design_io import DesignSnapshot
    from designer.surgery.design import Design
    from designer.surgery.snapshot import FrozenDesign

PROJECT_JSON = "project.json"
FORMAT = "netdesigner.project"
VERSION = 1
AUTOSAVE = ".autosave"
LOCK = ".netdesigner.lock"
RUNS = "runs"
#: Names of the design folders `save_project` creates (and the only ones it ever deletes).
DESIGN_DIR = re.compile(r"design-\d{8}-\d{6}-\d+")
_AUTOSAVE_NAME = re.compile(re.escape(AUTOSAVE))


class ProjectError(UserError, ValueError):
    """A project that cannot be opened or saved, with the reason and what to do."""


@dataclass
class Project:
    """An opened project: everything needed to continue working."""

    folder: Path
    design: Design
    data_config: DataConfig = field(default_factory=DataConfig)
    options: TrainingOptions = field(default_factory=TrainingOptions)
    manifest: SplitManifest | None = None
    runs: list[RunRecord] = field(default_factory=list)
    interrupted_runs: list[RunRecord] = field(default_factory=list)

    @property
    def runs_root(self) -> Path:
        """Folder holding the runs."""
        return self.folder / RUNS


def save_project(project: Project) -> Path:
    """Write the project (atomically; the previous design folder is removed afterwards)."""
    from designer.project.design_io import save_design  # torch: not on the start-up path

    folder = project.folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        previous = _current_design_name(folder)
        design_dir = folder / f"design-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        save_design(project.design, design_dir)
        write_json(folder / PROJECT_JSON, {
            "format": FORMAT, "version": VERSION, "saved": time.time(),
            "design": design_dir.name, "data": project.data_config.to_dict(),
            "options": project.options.to_dict(),
            "manifest": project.manifest.to_dict() if project.manifest else None,
        })
    except OSError as error:
        raise ProjectError(f"cannot save the project in {folder}: {error.strerror or error}. "
                           "Choose another folder or free some disk space.") from error
    if previous is not None and previous != design_dir.name:
        remove_generated(folder, previous, DESIGN_DIR)
    remove_generated(folder, AUTOSAVE, _AUTOSAVE_NAME)
    return folder / PROJECT_JSON


def open_project(folder: Path) -> Project:
    """Read a project folder; refuses newer formats clearly and skips interrupted runs."""
    from designer.project.design_io import DesignLoadError, load_design

    data = _read_project_json(folder)
    try:
        design_dir = inside(folder, data.get("design"), what="the project's design folder")
    except PathEscapeError as error:
        raise ProjectError(f"{folder / PROJECT_JSON} was refused: {error}.") from error
    try:
        design = load_design(design_dir)
    except DesignLoadError as error:
        raise ProjectError(f"the project's design cannot be loaded: {error}") from error
    runs_root = folder / RUNS
    if runs_root.exists() and not is_within(runs_root, folder):
        raise ProjectError(f"{runs_root} is a link that leads outside the project; NetDesigner "
                           "keeps a project's runs inside its folder. Replace the link with a "
                           "folder.")
    manifest_data = data.get("manifest")
    try:
        config = DataConfig.from_dict(data.get("data") or {})
        options = TrainingOptions.from_dict(data.get("options") or {})
        manifest = SplitManifest.from_dict(manifest_data) if manifest_data else None
    except (ValueError, TypeError, ManifestError, AttributeError, IndexError) as error:
        raise ProjectError(f"{folder / PROJECT_JSON} has settings this version cannot use: "
                           f"{error}") from error
    runs = [r for r in list_runs(runs_root) if is_within(r.run_dir, runs_root)]
    return Project(
        folder=folder, design=design, data_config=config, options=options, manifest=manifest,
        runs=[r for r in runs if r.finished],
        interrupted_runs=[r for r in runs if not r.finished],
    )


def _read_project_json(folder: Path) -> dict[str, Any]:
    path = folder / PROJECT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ProjectError(f"{folder} is not a NetDesigner project (no {PROJECT_JSON}).") from error
    except (OSError, ValueError) as error:
        raise ProjectError(f"{path} is damaged and cannot be read: {error}") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectError(f"{path} is not a NetDesigner project file.")
    version = int(data.get("version", 0))
    if version > VERSION:
        raise ProjectError(f"this project was saved by a newer NetDesigner (project format "
                           f"{version}; this version reads up to {VERSION}). Please upgrade.")
    return data


def _current_design_name(folder: Path) -> str | None:
    """The design folder name the project file on disk names (whatever it says: it is only
    ever deleted through `remove_generated`, which accepts our own names only)."""
    try:
        name = json.loads((folder / PROJECT_JSON).read_text(encoding="utf-8")).get("design")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def save_as(project: Project, folder: Path) -> Project:
    """Copy the project, runs included, to `folder` (new or empty; created) and save it there."""
    if folder.resolve() == project.folder.resolve():
        save_project(project)
        return project
    if (folder / PROJECT_JSON).exists():
        raise ProjectError(f"{folder} already holds another project; choose a new or empty folder.")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProjectError(f"{folder} is not empty and is not a NetDesigner project, so the "
                           "project is not saved there; choose a new or empty folder.")
    if project.runs_root.is_dir():  # links are copied as links: nothing outside is read
        shutil.copytree(project.runs_root, folder / RUNS, symlinks=True, dirs_exist_ok=True)
    moved = Project(folder, project.design, project.data_config, project.options,
                    project.manifest, list_runs(folder / RUNS))
    save_project(moved)
    return moved


# ----- autosave and crash recovery --------------------------------------------------------
def autosave(folder: Path, design: Design | FrozenDesign | DesignSnapshot) -> Path:
    """Save the design to the project's .autosave folder (atomically, file by file); from a
    `FrozenDesign` or `DesignSnapshot`, on any thread."""
    from designer.project.design_io import DesignSnapshot

    target = folder / AUTOSAVE
    if target.is_symlink() or (target.exists() and not is_within(target, folder)):
        remove_generated(folder, AUTOSAVE, _AUTOSAVE_NAME)  # never write through a link
    snapshot = design if isinstance(design, DesignSnapshot) else DesignSnapshot.of(design)
    snapshot.write(target, compact=True)
    write_json(target / "autosave.json", {"saved": time.time()})
    return target


def recoverable_autosave(folder: Path) -> Path | None:
    """An autosave newer than the last save, left behind by an app that did not exit cleanly.

    Call it before `acquire_lock`: once this process holds the lock the crash is no longer seen.
    """
    marker = folder / AUTOSAVE / "autosave.json"
    if not marker.is_file() or not is_within(marker, folder) or not _stale_lock(folder):
        return None
    saved_project = (folder / PROJECT_JSON).stat().st_mtime if (folder / PROJECT_JSON).exists() \
        else 0.0
    return folder / AUTOSAVE if marker.stat().st_mtime > saved_project else None


def discard_autosave(folder: Path) -> None:
    """The user discarded their unsaved changes: no autosave of them is offered later."""
    remove_generated(folder, AUTOSAVE, _AUTOSAVE_NAME)


def acquire_lock(folder: Path) -> None:
    """Mark the project as open by this process."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK
    tmp = folder / f"{LOCK}.{os.getpid()}.tmp"
    tmp.write_text(str(os.getpid()), encoding="utf-8")
    os.replace(tmp, lock)  # replaces a link of that name instead of writing through it


def release_lock(folder: Path) -> None:
    """Clean exit: the project is no longer open."""
    (folder / LOCK).unlink(missing_ok=True)


def _stale_lock(folder: Path) -> bool:
    """True when a lock exists whose process is gone (the app crashed or was killed)."""
    try:
        pid = int((folder / LOCK).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
