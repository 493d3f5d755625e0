"""Model ▸ Find a model for my data…: the model finder with its table, chart and actions.

The user picks a shortlist; the finder probes it in the background (progress, cancel) and the
table and chart fill in. From a row: open that model with its head replaced for the data's
classes (starting from the probe's weights), or train it briefly from pretrained and from
random weights to see what pretraining buys (two runs, curves plotted together).
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from designer.core.errors import UserError
from designer.project.data_config import PreparedData, prepare_data
from designer.project.run_compare import curve
from designer.project.runs import RunRecord
from designer.search import shortlist as sl
from designer.search.finder import (
    PROBE_SIZE,
    FinderResult,
    ProbeResult,
    find_models,
    load_results,
)
from designer.search.pretraining import pretrained_vs_scratch
from designer.ui.compare.curves import make_plot
from designer.ui.search.finder_chart import FinderChart
from designer.ui.search.finder_table import FinderTable, row_opener
from designer.ui.workspace import Workspace
from designer.workers.task import TaskRunner
from designer.zoo.bundled import LITE0, MOBILENET_V2_BACKBONE
from designer.zoo.preprocessing import Preprocessing
from designer.zoo.registry import get_entry

SHORTLISTS = ("Everything available offline", "Bundled models + random-weight controls",
              "Fastest N under X ms on this CPU", "One per family", "By hand (names)")


class FinderDialog(QDialog):
    """The model finder; ``open_requested`` carries an opener for the session's background open."""

    open_requested = Signal(object)  # Opener
    runs_added = Signal(object)  # tuple of RunRecord

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model finder — which model fits my data?")
        self.workspace = workspace
        self.finder_result: FinderResult | None = None
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)
        self._build()
        saved = load_results(workspace.project_dir)
        if saved:
            self.show_result(saved[-1])

    # ----- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.shortlist = QComboBox()
        self.shortlist.addItems(SHORTLISTS)
        self.shortlist.setCurrentIndex(1)
        self.names = QLineEdit(placeholderText="resnet18, mobilenet_v3_small, …")
        self.max_ms = QDoubleSpinBox(suffix=" ms", minimum=1, maximum=10_000, value=50)
        self.count = QSpinBox(prefix="N = ", minimum=1, maximum=50, value=5)
        self.controls = QCheckBox("Random-weight controls")
        self.image_size = QSpinBox(minimum=0, maximum=1024, value=PROBE_SIZE, singleStep=16,
                                   suffix=" px")
        self.image_size.setSpecialValueText("model's own")
        self.download = QCheckBox("Allow downloads")
        self.find_button = QPushButton("Find")
        self.find_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(textVisible=True)
        self.progress.setFormat("")
        self.progress.setVisible(False)
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        for widget in (QLabel("Shortlist:"), self.shortlist, self.names, self.max_ms, self.count,
                       self.controls, QLabel("Image size:"), self.image_size, self.download,
                       self.find_button, self.cancel_button):
            top.addWidget(widget)
        self.table = FinderTable()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.chart = FinderChart()
        self.chart.clicked.connect(self.table.select)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([700, 600])
        self.open_button = QPushButton("Open for my classes")
        self.open_button.setToolTip("Open the selected model with its final layer replaced for "
                                    "your classes and the backbone frozen; the new head starts "
                                    "from the probe's weights")
        self.scratch_button = QPushButton("Pretrained vs from scratch")
        self.scratch_button.setToolTip("Train the selected model briefly from its pretrained "
                                       "weights and from random weights, and plot both")
        self.epochs = QSpinBox(prefix="epochs: ", minimum=1, maximum=100, value=5)
        self.curves = make_plot("Pretrained vs from scratch: validation accuracy", "accuracy (%)")
        self.curves.getPlotItem().setLabel("bottom", "epoch")
        self.curves.getPlotItem().addLegend(offset=(10, 10))
        self.curves.setVisible(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.scratch_button)
        bottom.addWidget(self.epochs)
        bottom.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.progress)
        layout.addWidget(splitter, 3)
        layout.addWidget(self.curves, 2)
        layout.addWidget(self.status)
        layout.addLayout(bottom)
        self.shortlist.currentIndexChanged.connect(self._on_shortlist_changed)
        self.controls.toggled.connect(self._update_plan)
        self.download.toggled.connect(self._update_plan)
        self.names.editingFinished.connect(self._update_plan)
        self.find_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.open_button.clicked.connect(self.open_selected)
        self.scratch_button.clicked.connect(self.compare_pretraining)
        self._on_shortlist_changed()
        self._update_buttons()

    def _on_shortlist_changed(self) -> None:
        choice = self.shortlist.currentIndex()
        self.names.setVisible(choice == 4)
        self.max_ms.setVisible(choice == 2)
        self.count.setVisible(choice == 2)
        self._update_plan()

    # ----- the shortlist ---------------------------------------------------------------
    def candidates(self) -> list[sl.Candidate]:
        """The shortlist as chosen (empty for fastest-N: that is timed when Find runs)."""
        choice = self.shortlist.currentIndex()
        if choice == 0:
            chosen = sl.available_offline()
        elif choice == 1:
            chosen = sl.by_hand([LITE0, MOBILENET_V2_BACKBONE], controls=True)
        elif choice == 2:
            return []
        elif choice == 3:
            chosen = sl.one_per_family()
        else:
            chosen = sl.by_hand([n for n in self.names.text().split(",") if n.strip()])
        if self.controls.isChecked():
            chosen = list(dict.fromkeys(c for x in chosen for c in (x, x.random_twin())))
        return chosen

    def _size(self) -> int | None:
        return self.image_size.value() or None

    def _update_plan(self) -> None:
        if self.shortlist.currentIndex() == 2:
            self.plan_label.setText("The fastest models are timed on this CPU when you press "
                                    "Find (timings are kept, so the next time is instant).")
            return
        try:
            cost = sl.plan(self.candidates(), download=self.download.isChecked())
        except UserError as error:
            self.plan_label.setText(str(error))
            return
        self.plan_label.setText(cost.summary())

    # ----- running -------------------------------------------------------------------------
    def start(self) -> None:
        """Probe the shortlist in the background."""
        if self.runner.running:
            return
        config = self.workspace.data_config
        manifest = self.workspace.data.manifest if self.workspace.data is not None else None
        folder, size, download = self.workspace.project_dir, self._size(), \
            self.download.isChecked()
        fastest = (self.max_ms.value(), self.count.value(), self.controls.isChecked()) \
            if self.shortlist.currentIndex() == 2 else None
        try:
            fixed = [] if fastest is not None else self.candidates()
        except UserError as error:
            self.status.setText(str(error))
            return

        def task(progress: Callable[[float, str], None], cancelled: Callable[[], bool]
                 ) -> FinderResult:
            chosen = fixed  # widgets are read here, on the GUI thread, never in the task
            if fastest is not None:
                chosen = sl.fastest_under(fastest[0], fastest[1], image_size=size,
                                          progress=progress, cancel=cancelled)
                if fastest[2]:
                    chosen = [c for x in chosen for c in (x, x.random_twin())]
            data = prepare_data(config, Preprocessing(), manifest=manifest, check_health=False)
            return find_models(data, chosen, image_size=size, download=download,
                               progress=progress, cancel=cancelled, save_to=folder)

        self._begin("Probing…")
        self.runner.start(task)

    def _begin(self, text: str) -> None:
        self.status.setText(text)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.find_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.open_button.setEnabled(False)
        self.scratch_button.setEnabled(False)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(100 * fraction))
        self.progress.setFormat(message)

    def _on_succeeded(self, value: object) -> None:
        if isinstance(value, FinderResult):
            self.show_result(value)
            self.status.setText(f"Probed {len(value.results)} model(s); saved in "
                                f"{value.folder or 'memory'}.")
        elif isinstance(value, tuple):
            self.show_pretraining(value)
            self.runs_added.emit(value)

    def _on_failed(self, message: str, _traceback: str) -> None:
        self.status.setText(message)

    def _on_cancelled(self) -> None:
        saved = load_results(self.workspace.project_dir)
        if saved:
            self.show_result(saved[-1])
        self.status.setText("Cancelled; the models finished before that are kept.")

    def _on_finished(self) -> None:
        self.find_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setFormat("")
        self.progress.setVisible(False)
        self._update_buttons()

    # ----- results -----------------------------------------------------------------------
    def show_result(self, result: FinderResult) -> None:
        """Fill the table (best probe first) and the chart."""
        self.finder_result = result
        self.image_size.setValue(result.image_size or 0)  # the size these probes ran at
        rows = self.table.show_result(result)
        front = result.pareto()
        self.chart.set_results(rows, front)
        skipped = "; ".join(f"{label}: {why}" for label, why in result.skipped)
        self.plan_label.setText(f"{len(rows)} model(s) probed on {result.data_source} "
                                f"({len(result.classes)} classes)."
                                + (f" Skipped — {skipped}" if skipped else ""))
        self._update_buttons()

    def selected(self) -> ProbeResult | None:
        return self.table.selected()

    def _update_buttons(self) -> None:
        row = self.selected()
        idle = not self.runner.running
        self.open_button.setEnabled(idle and row is not None)
        self.scratch_button.setEnabled(idle and row is not None and row.weights == "pretrained")

    # ----- from a row --------------------------------------------------------------------
    def open_selected(self) -> None:
        """Ask the window to open the selected model, head replaced, probe as its start."""
        row, result = self.selected(), self.finder_result
        if row is None or result is None:
            return
        opener, message = row_opener(result, row)
        self.open_requested.emit(opener)
        self.status.setText(message)

    def compare_pretraining(self) -> None:
        """Train the selected model from pretrained and from random weights, in the background."""
        row = self.selected()
        if row is None or self.runner.running:
            return
        config, runs_root = self.workspace.data_config, self.workspace.runs_root
        options, epochs, size = self.workspace.options, self.epochs.value(), self._size()
        manifest = self.workspace.data.manifest if self.workspace.data is not None else None

        def task(progress: Callable[[float, str], None], cancelled: Callable[[], bool]
                 ) -> tuple[RunRecord, RunRecord]:
            entry = get_entry(row.model)
            data: PreparedData = prepare_data(config, entry.preprocessing, manifest=manifest,
                                              check_health=False)
            return pretrained_vs_scratch(row.model, data, runs_root, options=options,
                                         epochs=epochs, image_size=size, progress=progress,
                                         cancel=cancelled)

        self._begin(f"Training {row.model} from pretrained and from random weights…")
        self.runner.start(task)

    def show_pretraining(self, runs: tuple[RunRecord, ...]) -> None:
        """Both runs' validation accuracy per epoch, on one plot."""
        item = self.curves.getPlotItem()
        item.clear()
        for run, colour in zip(runs, (QColor(40, 110, 200), QColor(150, 150, 150)), strict=False):
            xs, ys = curve(run, "val_acc", "epoch")
            item.plot(xs, [100 * y for y in ys], pen=pg.mkPen(colour, width=2), symbol="o",
                      symbolSize=6, symbolBrush=colour, name=run.name)
        self.curves.setVisible(True)
        gains = [r.best_val_acc for r in runs]
        if all(g is not None for g in gains):
            self.status.setText(f"Pretraining buys {100 * (gains[0] - gains[1]):+.1f} points of "  # type: ignore[operator]
                                f"validation accuracy after {self.epochs.value()} epochs.")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.shutdown()
        super().closeEvent(event)
