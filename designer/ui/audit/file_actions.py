""""Apply to files…" and "Undo apply" for the Audit page: preview, confirm, move in the
background, and save the dataset version the folder then holds (designer.audit.apply_files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from designer.audit import apply_files as files
from designer.core.errors import UserError
from designer.data import scan, split_scan
from designer.project.data_config import DataConfig
from designer.ui.audit.apply_dialog import ApplyPreview
from designer.ui.workspace import Workspace
from designer.workers.task import TaskRunner

Progress = Callable[[float, str], None]


class FileActions(QObject):
    """Owns the background mover; the page shows what it says."""

    #: a line for the status bar of the page
    message = Signal(str)
    #: files moved: (the config the folder now matches, what happened)
    moved = Signal(object, str)
    #: started or finished moving
    busy_changed = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.window = parent
        self.preview: ApplyPreview | None = None
        self._what = ""
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(lambda f, m: self.message.emit(f"{100 * f:.0f} %  {m}"))
        self.runner.failed.connect(lambda text, _t: self.message.emit(f"Stopped: {text}"))
        self.runner.succeeded.connect(lambda config: self.moved.emit(config, self._what))
        self.runner.finished.connect(self.busy_changed)

    @property
    def running(self) -> bool:
        return self.runner.running

    def can_apply(self) -> bool:
        config = self.workspace.data_config
        return (not self.running and not config.source.startswith("sample:")
                and bool(config.edits.relabelled or config.edits.excluded))

    def can_undo(self) -> bool:
        return not self.running and self.journal() is not None

    def journal(self) -> files.Journal | None:
        """The newest apply recorded in the data folder (None: none, or not our folder)."""
        try:
            return files.latest(files.data_folder(self.workspace.data_config.source))
        except UserError:
            return None

    def apply_to_files(self) -> None:
        """Preview the moves of the current version; on "Move", make them in the background."""
        config = self.workspace.data_config
        try:
            root = files.data_folder(config.source)
            pending = files.latest(root)
            if pending is not None and pending.state != "applied":
                self._offer_finish(pending)
                return
            plan = files.plan_apply(root, config.edits, config.dataset_version)
        except (UserError, OSError) as error:
            self.message.emit(f"Cannot apply to files: {error}")
            return
        if not plan.moves:
            self.message.emit(plan.summary())
            return
        self.preview = ApplyPreview(plan, self.window)
        if self.preview.exec() != QDialog.DialogCode.Accepted:
            self.message.emit("Nothing was moved.")
            return
        self._move(lambda progress: files.apply(plan, progress), config, root)

    def undo_apply(self) -> None:
        """Move every file of the last apply back (in the background)."""
        config = self.workspace.data_config
        try:
            root = files.data_folder(config.source)
        except UserError as error:
            self.message.emit(str(error))
            return
        self._start(lambda progress, _c: files.config_after_undo(
            config, files.undo(root, progress)), "files moved back")

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _offer_finish(self, journal: files.Journal) -> None:
        done = sum(not (journal.root / m.source).exists() for m in journal.plan.moves)
        answer = QMessageBox.question(
            self.window, "Apply to files was interrupted",
            f"An earlier apply to files stopped after moving {done} of "
            f"{len(journal.plan.moves)} files. Finish it now? (Undo apply puts them all back.)")
        if answer == QMessageBox.StandardButton.Yes:
            self._move(lambda progress: files.finish(journal, progress),
                       self.workspace.data_config, journal.root)

    def _move(self, work: Callable[[Progress], files.Journal], config: DataConfig,
              root: Path) -> None:
        """``work`` moves the files; then the version the folder now holds is saved (its split
        taken before the move, the way the Data page splits the folder)."""
        project = self.workspace.project_dir

        def run(progress: Progress, _cancel: Callable[[], bool]) -> DataConfig:
            split = config.edits.apply(split_scan(scan(root), config.fractions, seed=config.seed,
                                                  cap=config.cap))
            journal = work(progress)
            return files.config_after_apply(config, journal, split, project)

        self._start(run, "written to the files")

    def _start(self, run: Callable[[Progress, Callable[[], bool]], DataConfig], what: str) -> None:
        if self.runner.running:
            return
        self._what = what
        self.runner.start(run)
        self.busy_changed.emit()
