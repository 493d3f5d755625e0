"""Everything the workflow pages share besides the design: data, training options, runs.

The data page sets `data`, the training dashboard reads it and adds runs, the evaluation and
compare pages list runs. A plain QObject with signals; the heavy work happens in workers.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMetaMethod, QObject, QStandardPaths, Signal

from designer.project.data_config import DataConfig, PreparedData, default_source
from designer.project.runs import RunRecord, list_runs
from designer.training.options import TrainingOptions
from designer.ui.session import DesignSession


def default_project_dir() -> Path:
    """Where runs go until the user saves a project somewhere else."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netdesigner") / "untitled-project"


class Workspace(QObject):
    """Shared state of the Data, Train, Evaluate and Compare pages."""

    #: prepared data changed (payload: PreparedData or None)
    data_changed = Signal(object)
    #: the data configuration changed (payload: DataConfig)
    data_config_changed = Signal(object)
    #: training options changed (payload: TrainingOptions)
    options_changed = Signal(object)
    #: the list of runs changed
    runs_changed = Signal()
    #: a run was chosen for the evaluation page (payload: RunRecord)
    run_selected = Signal(object)
    #: a page needs the data chosen on the Data page prepared now (the Data page does it)
    data_wanted = Signal()

    def __init__(self, session: DesignSession, project_dir: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.project_dir = project_dir or default_project_dir()
        self.data_config = DataConfig(source=default_source())
        self.data: PreparedData | None = None
        self.options = TrainingOptions(epochs=10, batch_size=32)
        self.runs: list[RunRecord] = list_runs(self.runs_root)

    @property
    def runs_root(self) -> Path:
        """Folder that holds one sub-folder per run."""
        return self.project_dir / "runs"

    def set_data_config(self, config: DataConfig) -> None:
        """New data settings (the data page re-prepares the data after this)."""
        self.data_config = config
        self.data_config_changed.emit(config)

    def set_data(self, data: PreparedData | None) -> None:
        """Prepared data for training."""
        self.data = data
        self.data_changed.emit(data)

    def set_options(self, options: TrainingOptions) -> None:
        """Training options from the dashboard form."""
        self.options = options
        self.options_changed.emit(options)

    def want_data(self) -> bool:
        """Ask for the configured data to be prepared if it is not yet; True when a page that
        prepares it (the Data page) was asked."""
        if self.data is not None or not self.isSignalConnected(
                QMetaMethod.fromSignal(self.data_wanted)):
            return False
        self.data_wanted.emit()
        return True

    def add_run(self, run: RunRecord) -> None:
        """A run finished (or stopped): list it everywhere."""
        self.runs = [r for r in self.runs if r.run_dir != run.run_dir] + [run]
        self.runs_changed.emit()

    def update_run(self, run: RunRecord) -> None:
        """A listed run changed (renamed, new note): same place in the list, new record."""
        self.runs = [run if r.run_dir == run.run_dir else r for r in self.runs]
        self.runs_changed.emit()

    def reload_runs(self) -> None:
        """Re-read the runs folder (after opening a project)."""
        self.runs = list_runs(self.runs_root)
        self.runs_changed.emit()

    def select_run(self, run: RunRecord) -> None:
        """Show this run on the evaluation page."""
        self.run_selected.emit(run)

    def set_project_dir(self, folder: Path) -> None:
        """Switch to another project folder (its runs are loaded)."""
        self.project_dir = folder
        self.reload_runs()
