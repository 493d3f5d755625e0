"""The Compare page: which run is best, what made the difference, and going back to it.

The checked runs drive every view (curves, metrics, settings that differ, accuracy vs latency)
in one colour each. The highlighted run is the one "Re-open this run's design" and "Show in
evaluation" act on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.ui.compare.colours import RunColours
from designer.ui.compare.curves import CurvesPanel
from designer.ui.compare.folds import FoldsPanel
from designer.ui.compare.label_editor import RunLabelEditor
from designer.ui.compare.run_list import RunList
from designer.ui.compare.scatter import ParetoScatter
from designer.ui.compare.tables import ConfigDiffTable, RunMetricsTable
from designer.ui.search.finder_panel import FinderPanel
from designer.ui.search.sweep_panel import SweepPanel
from designer.ui.workspace import Workspace
from designer.workers.task import TaskRunner

_OK = "color: #1d6b2a"
_ERROR = "color: #b00020"


class ComparePage(QWidget):
    """Run list with checkboxes beside curves, metrics, config differences and a Pareto plot."""

    #: a run's design was loaded into the designer (payload: RunRecord)
    design_reopened = Signal(object)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.colours = RunColours()
        self.run_list = RunList(self.colours)
        self.label_editor = RunLabelEditor()
        self.curves = CurvesPanel(self.colours)
        self.metrics = RunMetricsTable(self.colours)
        self.diff = ConfigDiffTable(self.colours)
        self.diff_note = QLabel()
        self.diff_note.setWordWrap(True)
        self.scatter = ParetoScatter(self.colours)
        self.sweeps = SweepPanel(workspace)
        self.finder = FinderPanel(workspace)
        self.folds = FoldsPanel()
        self.tabs = QTabWidget()
        self.reopen_button = QPushButton("Re-open this run's design")
        self.reopen_button.setToolTip("Load the highlighted run's design with its trained (best) "
                                      "weights into the designer, to edit or train it further.")
        self.evaluate_button = QPushButton("Show in evaluation")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self._reopening: RunRecord | None = None
        self.runner = TaskRunner(self)
        self.runner.succeeded.connect(self._on_design_loaded)
        self.runner.failed.connect(lambda text, _t: self._say(
            f"Could not re-open the design: {text}", _ERROR))
        self._build_layout()
        self.run_list.checked_changed.connect(self._refresh)
        self.run_list.current_run_changed.connect(self._on_current_changed)
        self.scatter.run_clicked.connect(self._highlight)
        self.label_editor.labelled.connect(self.workspace.update_run)
        self.folds.compare_runs.connect(self.run_list.check_only)
        self.reopen_button.clicked.connect(self.reopen_current)
        self.evaluate_button.clicked.connect(self._show_in_evaluation)
        workspace.runs_changed.connect(self._on_runs_changed)
        self._on_runs_changed()

    def _build_layout(self) -> None:
        diff_box = QWidget()
        diff_layout = QVBoxLayout(diff_box)
        diff_layout.setContentsMargins(4, 4, 4, 4)
        diff_layout.addWidget(self.diff_note)
        diff_layout.addWidget(self.diff, 1)
        self.tabs.addTab(self.metrics, "Metrics")
        self.tabs.addTab(diff_box, "Settings that differ")
        self.tabs.addTab(self.scatter, "Accuracy vs latency")
        self.tabs.addTab(self.sweeps, "Sweeps")
        self.tabs.addTab(self.finder, "Model finder")
        self.tabs.addTab(self.folds, "Cross-validation")
        checks = QHBoxLayout()
        checks.addWidget(self._small_button("Check all", lambda: self.run_list.set_all_checked(True)))
        checks.addWidget(self._small_button("None", lambda: self.run_list.set_all_checked(False)))
        checks.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.reopen_button)
        actions.addWidget(self.evaluate_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Runs</b> — check the ones to compare"))
        left_layout.addWidget(self.run_list, 1)
        left_layout.addLayout(checks)
        left_layout.addWidget(self.label_editor)
        left_layout.addLayout(actions)
        left_layout.addWidget(self.message)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(self.curves)
        top.setStretchFactor(1, 1)
        top.setSizes([420, 680])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(self.tabs)
        main.setSizes([360, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(main)

    def _small_button(self, text: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        return button

    # ----- public ----------------------------------------------------------------------------
    def checked_runs(self) -> list[RunRecord]:
        """The runs compared now."""
        return self.run_list.checked_runs()

    def reopen_current(self) -> None:
        """Load the highlighted run's design (trained weights) into the session, off the GUI thread."""
        run = self.run_list.current_run
        if run is None:
            self._say("Highlight a run in the list first.", _ERROR)
            return
        if self.workspace.session.locked:
            self._say("The current design is training; stop training before re-opening a run.",
                      _ERROR)
            return
        if self.runner.running:
            return
        self._reopening = run
        self._say(f"Loading the design of {run.name}…", "")
        self.runner.start(lambda _progress, _cancelled: run_design(run.run_dir))

    def shutdown(self) -> None:
        """Join the loading thread and a running sweep (window close, tests)."""
        self.runner.shutdown()
        self.sweeps.shutdown()

    # ----- internals -------------------------------------------------------------------------
    def _on_runs_changed(self) -> None:
        self.run_list.set_runs(self.workspace.runs)
        self.folds.reload(self.workspace.runs_root)
        self._on_current_changed(self.run_list.current_run)

    def _refresh(self) -> None:
        runs = self.run_list.checked_runs()
        self.curves.set_runs(runs)
        self.metrics.set_runs(runs)
        self.diff_note.setText(self.diff.set_runs(runs))
        self.scatter.set_runs(runs)

    def _on_current_changed(self, run: object) -> None:
        record = run if isinstance(run, RunRecord) else None
        self.label_editor.set_run(record)
        self.reopen_button.setEnabled(record is not None and bool(record.design))
        self.evaluate_button.setEnabled(record is not None)

    def _highlight(self, run: object) -> None:
        if isinstance(run, RunRecord):
            self.run_list.set_current(run.run_dir)

    def _show_in_evaluation(self) -> None:
        run = self.run_list.current_run
        if run is not None:
            self.workspace.select_run(run)

    def _on_design_loaded(self, design: object) -> None:
        run, self._reopening = self._reopening, None
        if not isinstance(design, Design) or run is None:
            return
        self.workspace.session.set_design(design)
        self._say(f"Re-opened the design of {run.name} with its trained weights; it is now the "
                  "design on the Design page.", _OK)
        self.design_reopened.emit(run)

    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)
