"""New / Open / Save / Save As / Recent for project folders, plus autosave and crash recovery.

The window's File menu calls these; loading runs in the background (it rebuilds the design
from its zoo architecture), saving writes JSON + safetensors atomically. Dialogs are behind
`ProjectPrompts` so tests can answer them.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from designer.project.project_file import (
    Project,
    ProjectError,
    acquire_lock,
    autosave,
    discard_autosave,
    open_project,
    recoverable_autosave,
    release_lock,
    save_as,
    save_project,
)
from designer.ui.workspace import Workspace, default_project_dir
from designer.workers.task import TaskRunner

log = logging.getLogger(__name__)
AUTOSAVE_MS = 60_000
#: runs changed (a run ended): autosave this long after, once the pages show it (ms)
AUTOSAVE_AFTER_RUNS_MS = 1000
_RECENT_KEY = "projects/recent"


class UnsavedChoice(Enum):
    """The answer to "save your changes first?"."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class ProjectPrompts:
    """The questions the controller asks; tests replace these methods."""

    def __init__(self, parent: QWidget | None) -> None:
        self.parent = parent

    def choose_open_folder(self) -> Path | None:
        """Folder of a project to open."""
        folder = QFileDialog.getExistingDirectory(self.parent, "Open project folder")
        return Path(folder) if folder else None

    def choose_save_folder(self) -> Path | None:
        """A new or empty folder to save the project in (the user may type a new name)."""
        dialog = QFileDialog(self.parent, "Save project as: type the name of a new folder")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setLabelText(QFileDialog.DialogLabel.FileName, "Project folder:")
        dialog.setDirectory(str(Path.home()))
        if not dialog.exec() or not dialog.selectedFiles():
            return None
        return Path(dialog.selectedFiles()[0])

    def unsaved_changes(self, before: str) -> UnsavedChoice:
        """Save / Discard / Cancel before `before` ("quitting", "opening another project", ...)."""
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"The project has changes that are not saved. Save them before {before}?",
                          buttons.Save | buttons.Discard | buttons.Cancel, self.parent)
        box.setDefaultButton(buttons.Save)
        answer = box.exec()
        return {buttons.Save: UnsavedChoice.SAVE,
                buttons.Discard: UnsavedChoice.DISCARD}.get(buttons(answer), UnsavedChoice.CANCEL)

    def restore_autosave(self, folder: Path) -> bool:
        """Ask whether to restore the design autosaved before a crash."""
        answer = QMessageBox.question(
            self.parent, "Restore unsaved work?",
            f"NetDesigner did not exit cleanly last time. The project in {folder} has an "
            "autosaved design newer than its last save.\n\nRestore the autosaved design?")
        return answer == QMessageBox.StandardButton.Yes


class HeadlessPrompts(ProjectPrompts):
    """Answers without asking, for runs with nobody at the window (``--screenshot``)."""

    def choose_open_folder(self) -> Path | None:
        return None

    def choose_save_folder(self) -> Path | None:
        return None

    def restore_autosave(self, folder: Path) -> bool:
        return False

    def unsaved_changes(self, before: str) -> UnsavedChoice:
        return UnsavedChoice.DISCARD  # a screenshot edits nothing, so nothing is dropped


class ProjectController(QObject):
    """Owns the current project folder and its lifecycle."""

    #: a project was opened or saved (payload: folder)
    project_changed = Signal(object)
    #: opening a project ended (True when it is shown, False when it could not be read)
    opened = Signal(bool)

    def __init__(self, workspace: Workspace, prompts: ProjectPrompts | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = workspace.session
        self.prompts = prompts or ProjectPrompts(None)
        self.saved_once = (workspace.project_dir / "project.json").exists()
        self._loader = TaskRunner(self)
        self._loader.succeeded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_load_failed)
        self._autosaver = TaskRunner(self)  # snapshot to files: 40-70 ms, not on the GUI thread
        self._autosaver.failed.connect(lambda message, _tb: log.warning("autosave failed: %s",
                                                                         message))
        self.timer = QTimer(self, interval=AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()
        # after a run, once the pages have updated (writing competes with them for the GIL)
        self._after_runs = QTimer(self, singleShot=True, interval=AUTOSAVE_AFTER_RUNS_MS)
        self._after_runs.timeout.connect(self.autosave_now)
        self.workspace.runs_changed.connect(self._after_runs.start)
        #: autosaves left by an app that died, per folder (found before our own lock hides them)
        self._recoverable: dict[Path, Path] = {}
        #: the design came from an autosave and is not in the project file yet
        self._restored = False
        self._saved_settings = self._settings()
        self._lock(workspace.project_dir)

    # ----- commands ----------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the current folder (asks for one the first time)."""
        if not self.saved_once:
            return self.save_as()
        return self._write(self.workspace.project_dir)

    def save_as(self) -> bool:
        """Save (runs included) into a new or empty folder chosen by the user."""
        folder = self.prompts.choose_save_folder()
        if folder is None:
            return False
        return self._write(folder)

    def has_unsaved_changes(self) -> bool:
        """Design edits, a restored autosave or data / training settings not in the project file."""
        design = self.session.design
        if design is not None and (not design.history.is_clean or self._restored):
            return True
        return self._settings() != self._saved_settings

    def confirm_unsaved(self, before: str) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True: go on."""
        if not self.has_unsaved_changes():
            return True
        choice = self.prompts.unsaved_changes(before)
        if choice is UnsavedChoice.SAVE:
            return self.save()
        if choice is UnsavedChoice.DISCARD:
            design = self.session.design
            if design is not None and (not design.history.is_clean or self._restored):
                discard_autosave(self.workspace.project_dir)  # the edits the user dropped
            self._restored = False
            return True
        return False

    def _settings(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.workspace.data_config.to_dict(), self.workspace.options.to_dict()

    def _write(self, folder: Path) -> bool:
        design = self.session.design
        if design is None:
            self.session.error_occurred.emit("Nothing to save yet: open a model first.")
            return False
        project = self._current_project(design)
        moving = folder != self.workspace.project_dir
        try:
            if moving:
                project = save_as(project, folder)
            else:
                save_project(project)
        except (ProjectError, OSError) as error:
            self.session.error_occurred.emit(str(error))
            return False
        design.history.set_clean()
        self._restored = False
        self._saved_settings = self._settings()
        if moving:  # after marking it saved: switching reloads runs, which would autosave
            self._switch_folder(folder)
        self.saved_once = True
        self.session.history_changed.emit()
        self._remember(folder)
        self.session.status.emit(f"Saved project in {folder}")
        self.project_changed.emit(folder)
        return True

    def _current_project(self, design: object) -> Project:
        from designer.surgery.design import Design

        assert isinstance(design, Design)
        data = self.workspace.data
        return Project(self.workspace.project_dir, design, self.workspace.data_config,
                       self.workspace.options, data.manifest if data else None,
                       list(self.workspace.runs))

    def open(self, folder: Path | None = None) -> None:
        """Open a project folder in the background (after Save / Discard / Cancel)."""
        if not self.confirm_unsaved("opening another project"):
            return
        folder = folder or self.prompts.choose_open_folder()
        if folder is None:
            return
        self.session.status.emit(f"Opening project {folder}…")
        self._loader.start(lambda _p, _c: open_project(folder))

    def _on_loaded(self, project: object) -> None:
        assert isinstance(project, Project)
        self._switch_folder(project.folder)
        self.saved_once = True
        self.session.set_design(project.design)
        self.workspace.set_data_config(project.data_config)
        self.workspace.set_options(project.options)
        self._restored = False
        self._saved_settings = self._settings()
        self.session.history_changed.emit()  # the title's "*" was drawn before this baseline
        self.workspace.reload_runs()
        if project.interrupted_runs:
            self.session.error_occurred.emit(
                f"{len(project.interrupted_runs)} run(s) were interrupted before they finished; "
                "each keeps its last completed epoch (listed as interrupted).")
        self._remember(project.folder)
        self.project_changed.emit(project.folder)
        self.offer_recovery(project.folder)
        self.opened.emit(True)

    def _on_load_failed(self, message: str, _traceback: str) -> None:
        self.session.error_occurred.emit(message)
        self.opened.emit(False)

    def new(self, folder: Path) -> None:
        """Start an empty project in `folder` (the current design stays open)."""
        self._switch_folder(folder)
        self.saved_once = False

    def new_project(self) -> bool:
        """File ▸ New project: after Save / Discard / Cancel, a fresh untitled project with
        default data and training settings; the caller opens the starting model."""
        if not self.confirm_unsaved("starting a new project"):
            return False
        self.new(_fresh_untitled_dir())
        self.workspace.set_data_config(type(self.workspace.data_config)())
        self.workspace.set_options(type(self.workspace.options)())
        self._restored = False
        self._saved_settings = self._settings()
        self.session.history_changed.emit()  # redraw the title's "*" against this baseline
        return True

    def _switch_folder(self, folder: Path) -> None:
        release_lock(self.workspace.project_dir)
        self.workspace.set_project_dir(folder)
        self._after_runs.stop()  # the other folder's runs were listed: nothing new to keep
        self._lock(folder)

    def _lock(self, folder: Path) -> None:
        """Take the project's lock, first remembering an autosave a crashed app left behind."""
        saved = recoverable_autosave(folder)
        if saved is not None:
            self._recoverable[folder] = saved
        acquire_lock(folder)

    # ----- autosave / recovery -----------------------------------------------------------
    def autosave_now(self) -> None:
        """Autosave the design if it changed since the last save. Only its snapshot is taken
        here (microseconds: `Design.snapshot`); turning it into JSON and tensors and writing
        them happens on the autosaver's thread, while the user may keep editing (edits swap
        modules and never change a tensor in place, so the snapshot stays as it was)."""
        design = self.session.design
        if design is None or (design.history.is_clean and not self._restored):
            return
        if self._autosaver.running:
            return
        snapshot = design.snapshot()
        folder = self.workspace.project_dir
        self._autosaver.start(lambda _p, _c: autosave(folder, snapshot))

    @property
    def autosaving(self) -> bool:
        """An autosave is being written in the background."""
        return self._autosaver.running

    def offer_recovery(self, folder: Path) -> bool:
        """After a crash, offer the autosaved design; True when it was restored."""
        saved = self._recoverable.pop(folder, None)  # asked once per crash
        if saved is None or not self.prompts.restore_autosave(folder):
            return False
        from designer.project.design_io import load_design  # torch (seconds), after asking

        try:
            self.session.set_design(load_design(saved))
        except (ValueError, OSError) as error:
            self.session.error_occurred.emit(f"The autosave could not be restored: {error}")
            return False
        self._restored = True  # unsaved until the user saves: quitting asks, autosave keeps it
        self.session.history_changed.emit()
        self.session.status.emit("Restored the autosaved design")
        return True

    def recent(self) -> list[Path]:
        """Recently used project folders that still exist."""
        values = QSettings().value(_RECENT_KEY, [])
        items = values if isinstance(values, list) else [values] if values else []
        return [Path(str(v)) for v in items if (Path(str(v)) / "project.json").exists()]

    def crashed_recent(self) -> Path | None:
        """The most recent project left with unsaved work by an app that was killed or crashed
        (its autosave is newer than its last save and its lock's process is gone): start-up
        reopens it so the restore question is asked, instead of showing an untitled project."""
        current = self.workspace.project_dir
        return next((p for p in self.recent()
                     if p != current and recoverable_autosave(p) is not None), None)

    def _remember(self, folder: Path) -> None:
        items = [str(folder)] + [str(p) for p in self.recent() if p != folder]
        QSettings().setValue(_RECENT_KEY, items[:8])

    def close(self) -> None:
        """Clean exit: stop autosave and release the lock."""
        self.timer.stop()
        self._after_runs.stop()
        self._loader.shutdown()
        self._autosaver.shutdown()
        release_lock(self.workspace.project_dir)


def _fresh_untitled_dir() -> Path:
    """An unused sibling of the default untitled project folder (runs of the old one stay)."""
    base = default_project_dir()
    for index in range(2, 10_000):
        candidate = base.with_name(f"{base.name}-{index}")
        if not candidate.exists() or not any(candidate.iterdir()):
            return candidate
    raise ProjectError(f"no free untitled project folder next to {base}")
