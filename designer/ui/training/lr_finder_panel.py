"""The learning-rate finder: run the range test in the background, draw loss against learning
rate (log axis), mark the suggestion, and let a click on the curve pick a rate.

The test trains a copy of a design snapshot on a `TaskRunner` thread (designer.workers.lr_finder),
so the window stays responsive and the user's design is never touched; Cancel stops it at the
next step. The panel computes nothing itself: it asks `request()` for what to test, and says what
was chosen through `lr_chosen`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.project.data_config import PreparedData
from designer.surgery.snapshot import FrozenDesign
from designer.training.lr_finder import RangeTest
from designer.training.options import TrainingOptions
from designer.ui.plot_style import AXIS, style_axes
from designer.workers.lr_finder import lr_finder_task
from designer.workers.task import TaskRunner

RAW = QColor(31, 119, 180, 70)
SMOOTH = QColor(31, 119, 180)
SUGGESTED = QColor(44, 140, 60)
PICKED = QColor(200, 60, 30)

#: what to test: (snapshot, data, options), or a sentence saying why it cannot run now
FinderRequest = Callable[[], "tuple[FrozenDesign, PreparedData, TrainingOptions] | str"]


def lr_text(lr: float) -> str:
    """3e-04 style, as the learning-rate box shows it (two significant digits)."""
    return f"{lr:.2g}"


class LrFinderPlot(pg.PlotWidget):
    """Loss (raw and smoothed) against the learning rate on a log axis; a click picks a rate."""

    #: the user clicked at this learning rate
    lr_clicked = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        item = self.getPlotItem()
        item.setLogMode(x=True, y=False)
        item.setLabel("bottom", "Learning rate (log scale) — click to choose")
        item.setLabel("left", "Training loss")
        style_axes(item)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.addLegend(offset=(-6, 6), labelTextColor=AXIS,
                                brush=pg.mkBrush(255, 255, 255, 220))
        self.raw = item.plot(pen=pg.mkPen(RAW, width=1), name="Loss (each step)")
        self.smooth = item.plot(pen=pg.mkPen(SMOOTH, width=2), name="Loss (smoothed)")
        self.suggested = pg.InfiniteLine(angle=90, pen=pg.mkPen(SUGGESTED, width=2,
                                                                style=Qt.PenStyle.DashLine),
                                         label="", labelOpts={"position": 0.92, "color": SUGGESTED,
                                                              "fill": (255, 255, 255, 200)})
        self.picked = pg.InfiniteLine(angle=90, pen=pg.mkPen(PICKED, width=2),
                                      label="", labelOpts={"position": 0.08, "color": PICKED,
                                                           "fill": (255, 255, 255, 200)})
        self.point = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(SUGGESTED),
                                        pen=pg.mkPen("w"), name="Suggested")
        for extra in (self.suggested, self.picked, self.point):
            item.addItem(extra)
            extra.hide()
        self.result: RangeTest | None = None
        self.scene().sigMouseClicked.connect(self._on_click)

    def show_result(self, result: RangeTest) -> None:
        """Draw a finished range test (the tail after the loss blew up is left out)."""
        self.result = result
        used = result.suggestion.used if result.suggestion is not None else len(result.lrs)
        lrs, raw = result.lrs[:used], result.losses[:used]
        smooth = result.smoothed[:used]
        self.raw.setData(lrs, raw)
        self.smooth.setData(lrs, smooth)
        self.picked.hide()
        found = result.suggestion
        self.suggested.setVisible(found is not None)
        self.point.setVisible(found is not None)
        if found is not None:
            self.suggested.label.setFormat(f"suggested {lr_text(found.lr)}")
            self.suggested.setValue(math.log10(found.lr))
            self.point.setData([math.log10(found.lr)], [result.smoothed[found.index]])
        finite = [v for v in smooth if math.isfinite(v)]
        if finite and lrs:
            low, high = min(finite), max(finite)
            pad = 0.08 * (high - low or 1.0)
            self.getPlotItem().setYRange(low - pad, high + pad, padding=0)
            self.getPlotItem().setXRange(math.log10(lrs[0]), math.log10(lrs[-1]), padding=0.02)

    def clear_result(self) -> None:
        self.result = None
        self.raw.setData([], [])
        self.smooth.setData([], [])
        for extra in (self.suggested, self.picked, self.point):
            extra.hide()

    def mark_picked(self, lr: float) -> None:
        """Show the chosen rate as a solid line."""
        self.picked.show()  # first: a hidden line's label ignores new text
        self.picked.label.setFormat(f"chosen {lr_text(lr)}")
        self.picked.setValue(math.log10(lr))

    def lr_at(self, scene_x: float, scene_y: float) -> float | None:
        """The learning rate under a scene position, or None outside the tested range."""
        view = self.getPlotItem().vb
        if self.result is None or not self.result.lrs \
                or not view.sceneBoundingRect().contains(scene_x, scene_y):
            return None
        x = view.mapSceneToView(pg.Point(scene_x, scene_y)).x()
        lr = 10 ** x
        if not self.result.lrs[0] <= lr <= self.result.lrs[-1]:
            return None
        return float(f"{lr:.2g}")  # a rate the user can read and type, not 0.000318492

    def _on_click(self, event: object) -> None:
        position = event.scenePos()  # type: ignore[attr-defined]
        lr = self.lr_at(position.x(), position.y())
        if lr is not None and event.button() == Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            self.lr_clicked.emit(lr)


class LrFinderPanel(QWidget):
    """Find / Cancel, progress, the plot, the verdict and "Use suggestion"."""

    #: the user chose this learning rate (a click on the plot, or "Use suggestion")
    lr_chosen = Signal(float)
    #: a test started (True) or ended (False), whatever the outcome
    running_changed = Signal(bool)

    def __init__(self, request: FinderRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self.runner = TaskRunner(self)
        self.plot = LrFinderPlot()
        self.find_button = QPushButton("Find learning rate…")
        self.find_button.setToolTip(
            "Train a copy of the design for a few dozen steps while the learning rate rises "
            "from 1e-7 to 10, and suggest a rate where the loss falls fastest. Your design and "
            "its weights are not changed.")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the test at the next step.")
        self.use_button = QPushButton("Use suggestion")
        self.use_button.setToolTip("Set the learning rate on the left to the suggested value.")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel("Run the range test to see how the loss responds to the learning "
                             "rate; then click the curve or use the suggestion.")
        self.status.setWordWrap(True)
        self._build()
        self.find_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self.use_suggestion)
        self.plot.lr_clicked.connect(self.choose)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_result)
        self.runner.failed.connect(lambda text, _trace: self._say(text, error=True))
        self.runner.cancelled.connect(lambda: self._say(
            "Cancelled; nothing was changed. The learning rate stays as it was."))
        self.runner.finished.connect(lambda: self._set_running(False))
        self._set_running(False)

    def _build(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.find_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress, 1)
        bar.addStretch(0)
        bar.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.plot, 1)

    @property
    def running(self) -> bool:
        return self.runner.running

    def start(self) -> bool:
        """Start the range test with the current design, data and options; True if it started
        (else the status line says why)."""
        if self.runner.running:
            return False
        asked = self._request()
        if isinstance(asked, str):
            self._say(asked, error=True)
            return False
        design, data, options = asked
        self.plot.clear_result()
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self._say("Finding a learning rate (a few dozen training steps on a copy of the "
                  "design)…")
        self.runner.start(lr_finder_task(design, data, options))
        self._set_running(True)
        return True

    def cancel(self) -> None:
        """Stop the test at its next step (the copy's weights are put back; nothing changes)."""
        if self.runner.running:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Cancelling…")

    def shutdown(self) -> None:
        """Stop and join the test (window closing, tests)."""
        self.runner.shutdown()

    def choose(self, lr: float) -> None:
        """Make `lr` the run's learning rate (the plot shows it, the form takes it)."""
        self.plot.mark_picked(lr)
        self._say(f"Learning rate set to {lr_text(lr)}.")
        self.lr_chosen.emit(lr)

    def use_suggestion(self) -> None:
        result = self.plot.result
        if result is not None and result.suggestion is not None:
            self.choose(result.suggestion.lr)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(text)

    def _on_result(self, result: object) -> None:
        if not isinstance(result, RangeTest):
            return
        self.plot.show_result(result)
        hint = " Click the curve to choose another rate." if result.suggestion else ""
        self._say(result.message + hint, error=result.suggestion is None)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b3261e;" if error else "")

    def _set_running(self, running: bool) -> None:
        self.find_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        result = self.plot.result
        self.use_button.setEnabled(not running and result is not None
                                   and result.suggestion is not None)
        if not running:
            self.progress.setValue(0)
        self.running_changed.emit(running)
