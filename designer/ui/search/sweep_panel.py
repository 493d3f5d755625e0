"""Compare ▸ Sweeps: run an Optuna sweep over the project and read it back.

A study's trials as a table (parameters, accuracy, latency, Pareto), the parameter importances
as bars, and accuracy against measured latency with the Pareto front. Trials are ordinary runs,
so they also appear in the run list above.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.core.errors import UserError
from designer.search.sweep import (
    SweepBudget,
    SweepSummary,
    run_sweep,
    space_from_text,
    studies,
    sweep_summary,
)
from designer.ui.compare.curves import make_plot
from designer.ui.workspace import Workspace
from designer.workers.task import TaskRunner

_FRONT = QColor(230, 110, 0)
_POINT = QColor(40, 110, 200, 190)


class SweepPanel(QWidget):
    """Start a sweep (ranges, budget) and show a study: table, importances, Pareto scatter."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.summary: SweepSummary | None = None
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_done)
        self.runner.failed.connect(lambda text, _tb: self.status.setText(text))
        self.runner.cancelled.connect(lambda: self.status.setText("Sweep cancelled; finished "
                                                                  "trials are kept."))
        self.runner.finished.connect(self._on_finished)
        self._build()
        self.reload()

    def _build(self) -> None:
        self.study = QComboBox(editable=True)
        self.study.setMinimumWidth(120)
        self.lr = QLineEdit("1e-4:1e-2")
        self.freeze = QLineEdit("0, 0.5, 1", placeholderText="not swept")
        self.image_size = QLineEdit(placeholderText="not swept, e.g. 96, 128")
        self.batch_size = QLineEdit(placeholderText="not swept, e.g. 16, 32")
        self.models = QLineEdit(placeholderText="not swept, e.g. resnet18, mobilenet_v3_small")
        self.trials = QSpinBox(minimum=0, maximum=1000, value=6)
        self.minutes = QDoubleSpinBox(minimum=0, maximum=10_000, value=10, suffix=" min")
        for box in (self.trials, self.minutes):
            box.setSpecialValueText("no limit")
        self.start_button = QPushButton("Run sweep")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.refresh_button = QPushButton("Refresh")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form = QGridLayout()
        cells: list[tuple[str, QWidget]] = [
            ("Study", self.study), ("Learning rate", self.lr), ("Freeze", self.freeze),
            ("Image size", self.image_size), ("Batch size", self.batch_size),
            ("Models", self.models), ("Trials", self.trials), ("Time", self.minutes)]
        for index, (label, widget) in enumerate(cells):
            form.addWidget(QLabel(label), index // 4, 2 * (index % 4))
            form.addWidget(widget, index // 4, 2 * (index % 4) + 1)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.cancel_button, self.refresh_button):
            buttons.addWidget(button)
        buttons.addWidget(self.progress, 1)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.importance = make_plot("Parameter importance", "")
        self.importance.getPlotItem().setLabel("bottom", "importance (fANOVA)")
        self.scatter = make_plot("Accuracy vs latency (up and left is better)", "accuracy (%)")
        self.scatter.getPlotItem().setLabel("bottom", "latency per image on this CPU (ms)")
        plots = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.table, self.importance, self.scatter):
            plots.addWidget(widget)
        plots.setSizes([460, 260, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(plots, 1)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.refresh_button.clicked.connect(self.reload)
        self.study.activated.connect(lambda _i: self.show_study(self.study.currentText()))

    # ----- reading studies ---------------------------------------------------------------
    def reload(self) -> None:
        """List the project's studies and show the current one."""
        names = studies(self.workspace.project_dir)
        current = self.study.currentText() or (names[-1] if names else "sweep")
        self.study.clear()
        self.study.addItems(names or ["sweep"])
        self.study.setCurrentText(current)
        if current in names:
            self.show_study(current)

    def show_study(self, name: str) -> None:
        try:
            self.show_summary(sweep_summary(self.workspace.project_dir, name))
        except UserError as error:
            self.status.setText(str(error))

    def show_summary(self, summary: SweepSummary) -> None:
        """Fill the table, the importance bars and the scatter."""
        self.summary = summary
        keys = sorted({k for r in summary.rows for k in r.params})
        headers = ["#", "state", *keys, "accuracy", "ms / image", "Pareto"]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(summary.rows))
        for index, row in enumerate(summary.rows):
            values = [str(row.number), row.state,
                      *(f"{row.params[k]:.3g}" if isinstance(row.params.get(k), float)
                        else str(row.params.get(k, "")) for k in keys),
                      "—" if row.accuracy is None else f"{100 * row.accuracy:.1f} %",
                      "—" if row.latency_ms is None else f"{row.latency_ms:.1f}",
                      "★" if row.number in summary.front else ""]
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                if row.number in summary.front:
                    item.setBackground(QColor(255, 236, 214))
                if column == 1 and row.note:
                    item.setToolTip(row.note)
                self.table.setItem(index, column, item)
        self.table.resizeColumnsToContents()
        self._draw_importance(summary)
        self._draw_scatter(summary)
        self.status.setText(f"Study {summary.study!r}: {len(summary.finished)} trial(s) finished"
                            + (f"; stopped because {summary.stopped_because}."
                               if summary.stopped_because else "."))

    def _draw_importance(self, summary: SweepSummary) -> None:
        item = self.importance.getPlotItem()
        item.clear()
        names = list(summary.importances)
        if not names:
            item.setTitle("Parameter importance (needs two finished trials)", color="#282828")
            return
        item.setTitle("Parameter importance", color="#282828")
        values = [summary.importances[n] for n in names]
        item.addItem(pg.BarGraphItem(x0=0, y=list(range(len(names))), height=0.6, width=values,
                                     brush=_POINT))
        item.getAxis("left").setTicks([list(enumerate(names))])
        item.setYRange(-0.6, len(names) - 0.4, padding=0)
        item.setXRange(0, max(values) * 1.1 or 1, padding=0)

    def _draw_scatter(self, summary: SweepSummary) -> None:
        item = self.scatter.getPlotItem()
        item.clear()
        placed = [r for r in summary.rows if r.accuracy is not None and r.latency_ms is not None]
        item.addItem(pg.ScatterPlotItem([r.latency_ms for r in placed],
                                        [100 * (r.accuracy or 0) for r in placed], size=11,
                                        brush=_POINT, pen=pg.mkPen("w")))
        front = sorted((r for r in placed if r.number in summary.front),
                       key=lambda r: r.latency_ms or 0.0)
        xs, ys = [r.latency_ms for r in front], [100 * (r.accuracy or 0) for r in front]
        item.addItem(pg.PlotDataItem(xs, ys, pen=pg.mkPen(_FRONT, width=2,
                                                          style=Qt.PenStyle.DashLine)))
        item.addItem(pg.ScatterPlotItem(xs, ys, size=19, brush=None, pen=pg.mkPen(_FRONT, width=2)))
        if placed:  # pad the view: equal values would otherwise give a zero-width axis
            lats = [r.latency_ms or 0.0 for r in placed]
            accs = [100 * (r.accuracy or 0) for r in placed]
            pad_x = max((max(lats) - min(lats)) * 0.15, max(lats) * 0.1, 0.5)
            pad_y = max((max(accs) - min(accs)) * 0.2, 3.0)
            item.setXRange(max(0.0, min(lats) - pad_x), max(lats) + pad_x, padding=0)
            item.setYRange(max(0.0, min(accs) - pad_y), min(100.0, max(accs)) + pad_y, padding=0)
        for r in placed:
            label = pg.TextItem(f"#{r.number}", color=(30, 30, 30), anchor=(-0.2, 1.0))
            label.setPos(r.latency_ms or 0.0, 100 * (r.accuracy or 0))
            item.addItem(label)

    # ----- running -------------------------------------------------------------------------
    def start(self) -> None:
        """Run a sweep of the saved project in the background."""
        if self.runner.running:
            return
        folder = self.workspace.project_dir
        if not (folder / "project.json").is_file():
            self.status.setText("Save the project first: every trial is a run of the saved "
                                "project (File ▸ Save project).")
            return
        try:
            budget = SweepBudget(trials=self.trials.value() or None,
                                 minutes=self.minutes.value() or None)
            space = space_from_text(
                lr=self.lr.text().strip() or None, freeze=self.freeze.text().strip() or None,
                image_size=self.image_size.text().strip() or None,
                batch_size=self.batch_size.text().strip() or None,
                models=self.models.text().strip() or None)
        except UserError as error:
            self.status.setText(str(error))
            return
        study = self.study.currentText().strip() or "sweep"

        def task(progress: Callable[[float, str], None], cancelled: Callable[[], bool]
                 ) -> SweepSummary:
            return run_sweep(folder, budget, space, study=study, progress=progress,
                             cancel=cancelled)

        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.status.setText(f"Sweeping {study!r}…")
        self.runner.start(task)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(100 * fraction))
        self.progress.setFormat(message)

    def _on_done(self, summary: object) -> None:
        if isinstance(summary, SweepSummary):
            self.show_summary(summary)
        self.workspace.reload_runs()

    def _on_finished(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setFormat("")
        self.progress.setVisible(False)

    def shutdown(self) -> None:
        """Cancel and join a running sweep (window close, tests)."""
        self.runner.shutdown()
