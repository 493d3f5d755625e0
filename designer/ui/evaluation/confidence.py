"""Can the model's confidence be trusted? The reliability diagram with its ECE, temperature
scaling (fitted on a worker thread, saved with the run), and a per-class confidence threshold
with the precision and recall it gives.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from designer.evaluation import EvaluationResult
from designer.evaluation.calibration import reliability
from designer.evaluation.thresholds import at_threshold
from designer.project.calibrate import calibrate_run, clear_calibration
from designer.project.runs import RunRecord
from designer.workers.task import TaskRunner

#: (count, mean confidence, accuracy) per equal-width bin
Bins = Sequence[tuple[int, float, float]]


class ReliabilityDiagram(QWidget):
    """Accuracy per confidence bin as bars against the diagonal of perfect calibration; a
    second, outlined set of bars shows the bins after temperature scaling."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 180)
        self.before: Bins = ()
        self.after: Bins = ()

    def set_bins(self, before: Bins, after: Bins = ()) -> None:
        self.before, self.after = list(before), list(after)
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        left, bottom = metrics.horizontalAdvance("100%") + 8, metrics.height() + 6
        right = metrics.horizontalAdvance("100%") // 2 + 6  # room for the last x label
        plot = QRectF(left, 6, self.width() - left - right, self.height() - bottom - 12)
        painter.fillRect(plot, QColor("#ffffff"))
        painter.setPen(QPen(QColor("#999999")))
        painter.drawRect(plot)
        for share in (0.0, 0.5, 1.0):
            y = plot.bottom() - share * plot.height()
            painter.drawText(QRectF(0, y - 8, left - 4, 16),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                             f"{share:.0%}")
            x = plot.left() + share * plot.width()
            painter.drawText(QRectF(x - 20, plot.bottom() + 2, 40, metrics.height()),
                             int(Qt.AlignmentFlag.AlignHCenter), f"{share:.0%}")
        self._bars(painter, plot, self.before, QColor(70, 120, 200, 170), filled=True)
        self._bars(painter, plot, self.after, QColor(220, 110, 20), filled=False)
        painter.setPen(QPen(QColor("#555555")))
        painter.drawText(plot.adjusted(6, 4, -6, -4),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), "accuracy ↑")
        painter.drawText(plot.adjusted(6, 4, -6, -4),
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                         "confidence →")
        painter.setPen(QPen(QColor("#444444"), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.top()))
        painter.end()

    @staticmethod
    def _bars(painter: QPainter, plot: QRectF, bins: Bins, colour: QColor, filled: bool) -> None:
        if not bins:
            return
        width = plot.width() / len(bins)
        for i, (count, _confidence, accuracy) in enumerate(bins):
            if not count:
                continue
            bar = QRectF(plot.left() + i * width + 1, plot.bottom() - accuracy * plot.height(),
                         width - 2, accuracy * plot.height())
            if filled:
                painter.fillRect(bar, colour)
            else:
                painter.setPen(QPen(colour, 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(bar)


class ConfidencePanel(QWidget):
    """Calibration of the shown run and the per-class threshold slider."""

    #: the run's calibration changed on disk (the page reloads the run)
    calibration_changed = Signal(object)  # RunRecord

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self.result: EvaluationResult | None = None
        self.diagram = ReliabilityDiagram()
        self.calibration_text = QLabel()
        self.calibration_text.setWordWrap(True)
        self.calibration_text.setTextFormat(Qt.TextFormat.RichText)
        self.fit_button = QPushButton("Fit temperature on validation")
        self.fit_button.setToolTip("Temperature scaling: one number that makes the confidences "
                                   "honest without changing any prediction; saved with the run "
                                   "and used by Classify, `netdesigner predict` and exports")
        self.clear_button = QPushButton("Remove temperature")
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(lambda _f, text: self.calibration_text.setText(
            html.escape(text)))
        self.runner.succeeded.connect(self._on_fitted)
        self.runner.failed.connect(lambda text, _t: self.calibration_text.setText(
            f"Could not calibrate: {html.escape(text)}"))
        self.runner.finished.connect(self._enable)
        self.fit_button.clicked.connect(self.fit)
        self.clear_button.clicked.connect(self.clear)
        self.class_box = QComboBox()
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(0, 100)
        self.threshold.setToolTip("Count a prediction of this class only when the model is at "
                                  "least this sure")
        self.threshold_text = QLabel()
        self.threshold_text.setWordWrap(True)
        self.threshold_text.setTextFormat(Qt.TextFormat.RichText)
        self.threshold.valueChanged.connect(lambda _v: self._show_threshold())
        self.class_box.currentIndexChanged.connect(lambda _i: self._show_threshold())
        self._build_layout()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.fit_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        calibration = QGroupBox("Calibration: is “90 % sure” right 90 % of the time?")
        box = QVBoxLayout(calibration)
        box.addWidget(self.diagram, 1)
        box.addWidget(self.calibration_text)
        box.addLayout(buttons)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Class:"))
        pick.addWidget(self.class_box, 1)
        pick.addWidget(QLabel("Threshold:"))
        pick.addWidget(self.threshold, 2)
        thresholds = QGroupBox("Confidence threshold per class")
        rows = QVBoxLayout(thresholds)
        rows.addLayout(pick)
        rows.addWidget(self.threshold_text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(calibration, 1)
        layout.addWidget(thresholds)

    def set_run(self, run: RunRecord | None, result: EvaluationResult | None, split: str) -> None:
        """Show the run's evaluation (`split`) and its calibration, if any."""
        self.run, self.result = run, result
        self._enable()
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItems(result.classes if result is not None else [])
        self.class_box.blockSignals(False)
        calibration = run.calibration if run is not None else None
        if calibration is not None:
            self.diagram.set_bins(calibration.bins_before, calibration.bins_after)
            self.calibration_text.setText(
                f"<b>Temperature {calibration.temperature:.2f}</b> (fitted on "
                f"{calibration.images} validation images): expected calibration error "
                f"{_number(calibration.ece_before)} → <b>{_number(calibration.ece_after)}</b>, "
                f"NLL {_number(calibration.nll_before)} → {_number(calibration.nll_after)}. "
                "Filled bars: before; outlined: after; dashed: perfect. The evaluation, "
                "Classify, <tt>netdesigner predict</tt> and exports use it.")
        elif result is not None and result.predictions:
            measured = reliability([p.confidence for p in result.predictions],
                                   [p.correct for p in result.predictions])
            self.diagram.set_bins([(b.count, b.confidence, b.accuracy) for b in measured.bins])
            self.calibration_text.setText(
                f"Expected calibration error <b>{measured.ece:.3f}</b> on the {split or 'evaluation'}"
                f" split ({measured.samples} images; 0 = perfectly calibrated). Bars: accuracy per "
                "confidence bin; dashed: perfect. Bars below the line: over-confident.")
        else:
            self.diagram.set_bins(())
            self.calibration_text.setText("No evaluation to measure calibration on.")
        self._show_threshold()

    def fit(self) -> None:
        """Fit and save the temperature in the background."""
        if self.run is None or self.runner.running:
            return
        folder = self.run.run_dir

        def fit_it(progress: Callable[[float, str], None], cancel: Callable[[], bool]) -> Path:
            calibrate_run(folder, progress=progress, cancel=cancel)
            return folder

        self.fit_button.setEnabled(False)
        self.runner.start(fit_it)

    def clear(self) -> None:
        """Remove the temperature (the evaluation is redone without it, in the background)."""
        if self.run is None or self.runner.running:
            return
        folder = self.run.run_dir

        def clear_it(progress: Callable[[float, str], None], cancel: Callable[[], bool]) -> Path:
            clear_calibration(folder, progress=progress, cancel=cancel)
            return folder

        self.clear_button.setEnabled(False)
        self.fit_button.setEnabled(False)
        self.runner.start(clear_it)

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _enable(self) -> None:
        idle = self.run is not None and not self.runner.running
        self.fit_button.setEnabled(idle)
        self.clear_button.setEnabled(idle and self.run is not None
                                     and self.run.calibration is not None)

    def _on_fitted(self, folder: object) -> None:
        assert isinstance(folder, Path)
        self.calibration_changed.emit(RunRecord.load(folder))

    def _show_threshold(self) -> None:
        result = self.result
        label = self.class_box.currentIndex()
        if result is None or label < 0:
            self.threshold_text.setText("")
            return
        point = at_threshold(result.predictions, label, self.threshold.value() / 100)
        name = html.escape(result.classes[label])
        self.threshold_text.setText(
            f"Counting <b>{name}</b> only at ≥ {point.threshold:.0%} confidence: precision "
            f"<b>{point.precision:.1%}</b>, recall <b>{point.recall:.1%}</b> "
            f"({point.kept} of {point.predicted} predictions of {name} kept, {point.correct} "
            f"right; {point.support} images are {name}).")


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"
