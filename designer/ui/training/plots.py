"""Live training curves: loss, accuracy and learning rate against the iteration.

Events only append to numpy buffers and mark the plots dirty; a `QTimer` pushes the buffers to
the curves at most 10 times a second (DESIGN.md §4 allows 20), so a run with thousands of
iterations a second costs the GUI a few redraws, not thousands. Every point is kept (the curves
are the run's full history); pyqtgraph's clip-to-view and peak downsampling keep long runs fast.

Painting is Python-heavy in pyqtgraph and competes for the GIL with the training thread, so
each redraw is kept cheap (measured, see bench/ui_latency.py): while a run trains the x axis
grows by doubling (axes are not re-laid out at every point), grid lines stop at minor ticks,
and epoch boundaries are one line item per plot instead of one InfiniteLine per epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QWidget

from designer.training.events import IterationEvent, ValidationEvent
from designer.training.history import History
from designer.ui.plot_style import AXIS, style_axes
from designer.ui.training.series import Series, Smoother

TRAIN = QColor(31, 119, 180)
TRAIN_RAW = QColor(31, 119, 180, 70)
VALIDATION = QColor(230, 110, 0)
LR = QColor(44, 140, 60)
EPOCH_LINE = QColor(150, 150, 150)
REDRAW_MS = 100

#: curve name -> (plot name, legend label)
CURVES = {
    "loss": ("loss", "Training (batch)"),
    "loss_smoothed": ("loss", "Training (smoothed)"),
    "val_loss": ("loss", "Validation"),
    "acc": ("accuracy", "Training (batch)"),
    "acc_smoothed": ("accuracy", "Training (smoothed)"),
    "val_acc": ("accuracy", "Validation"),
    "lr": ("lr", ""),
}
#: where each plot's legend goes (pyqtgraph offsets: negative = from the right / bottom), and
#: how many columns: the corner the curves usually leave free (loss falls, accuracy rises)
LEGENDS = {"loss": ((-6, 6), 1), "accuracy": ((-6, -6), 1)}
PLOT_TITLES = {"loss": "Loss", "accuracy": "Accuracy (%)", "lr": "Learning rate"}


PHASE_LINE = "#7b1fa2"
PHASE_TEXT = "phase 2: all layers"


class TrainingPlots(QWidget):
    """Loss and accuracy side by side, the learning rate in a shorter plot below them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots: dict[str, pg.PlotWidget] = {name: _plot(name, title)
                                               for name, title in PLOT_TITLES.items()}
        accuracy = self.plots["accuracy"].getPlotItem()
        accuracy.setYRange(0, 100, padding=0.03)
        accuracy.enableAutoRange(y=False)
        self.series: dict[str, Series] = {name: Series() for name in CURVES}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for name, (plot, label) in CURVES.items():
            self.curves[name] = self.plots[plot].plot(name=label or None, **_style(name))
        self._smooth_loss, self._smooth_acc = Smoother(), Smoother()
        self._epochs: list[float] = []
        self._total = 0  # iterations of the run in progress (0: none, axes fit the data)
        self._x_limit = 0.0
        self._epoch_marks = {name: _EpochMarks(self.plots[name]) for name in ("loss", "accuracy")}
        self._phase_lines: list[pg.InfiniteLine] = []
        self._dirty = False
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.plots["loss"], 0, 0)
        layout.addWidget(self.plots["accuracy"], 0, 1)
        layout.addWidget(self.plots["lr"], 1, 0, 1, 2)
        layout.setRowStretch(0, 5)
        layout.setRowStretch(1, 2)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    # ----- data in -----------------------------------------------------------------------
    def clear(self) -> None:
        """Empty every curve (a new run starts)."""
        for series in self.series.values():
            series.clear()
        self._smooth_loss.reset()
        self._smooth_acc.reset()
        self._epochs.clear()
        for marks in self._epoch_marks.values():
            marks.set_epochs([])
        for plot in self.plots.values():
            for line in self._phase_lines:
                if line in plot.getPlotItem().items:
                    plot.getPlotItem().removeItem(line)
        self._phase_lines.clear()
        self._dirty = True
        self.refresh()

    def start_run(self, total_iterations: int) -> None:
        """Let the x axes grow in steps while the run trains (see `_grow_x_range`)."""
        self._total = max(total_iterations, 1)
        self._x_limit = 0.0

    def finish_run(self) -> None:
        """Fit the x axes to the data again."""
        self._total = 0
        self.refresh()
        for plot in self.plots.values():
            plot.getPlotItem().enableAutoRange(axis="x")

    def add_iterations(self, events: Iterable[IterationEvent]) -> None:
        """Append per-iteration loss, accuracy and learning rate."""
        events = list(events)
        xs = [float(e.iteration) for e in events]
        losses = [e.loss for e in events]
        accs = [100.0 * e.accuracy for e in events]
        self.series["loss"].extend(xs, losses)
        self.series["loss_smoothed"].extend(xs, [self._smooth_loss(v) for v in losses])
        self.series["acc"].extend(xs, accs)
        self.series["acc_smoothed"].extend(xs, [self._smooth_acc(v) for v in accs])
        self.series["lr"].extend(xs, [e.lr for e in events])
        self._dirty = True

    def add_validation(self, event: ValidationEvent) -> None:
        """One validation point on the loss and accuracy plots."""
        self.series["val_loss"].extend([event.iteration], [event.val_loss])
        self.series["val_acc"].extend([event.iteration], [100.0 * event.val_acc])
        self._dirty = True

    @property
    def epoch_ends(self) -> list[float]:
        """Iterations at which the marked epochs ended."""
        return list(self._epochs)

    def mark_epoch(self, iteration: int) -> None:
        """A faint vertical line where an epoch ended."""
        self._epochs.append(float(iteration))
        for marks in self._epoch_marks.values():
            marks.set_epochs(self._epochs)

    @property
    def phases(self) -> list[float]:
        """Iterations where a recipe's next phase begins (drawn as labelled lines)."""
        return sorted({line.value() for line in self._phase_lines})

    def mark_phase(self, iteration: float, text: str) -> None:
        """A solid labelled line where a recipe's next phase begins (e.g. the fine-tune recipe's
        whole-network phase), on every plot."""
        for plot in self.plots.values():
            line = pg.InfiniteLine(pos=float(iteration), angle=90,
                                   pen=pg.mkPen(PHASE_LINE, width=2), label=text,
                                   labelOpts={"position": 0.62, "color": PHASE_LINE,
                                              "anchors": [(0, 0), (0, 0)]})
            plot.getPlotItem().addItem(line, ignoreBounds=True)
            self._phase_lines.append(line)

    def load_history(self, history: History, phase_epoch: int | None = None) -> None:
        """Show a saved run's history (the same curves as when it was live); ``phase_epoch``:
        the last epoch of a fine-tune recipe's head-only phase."""
        self.clear()
        self.add_iterations(_iteration_events(history.iterations))
        for row in history.validations:
            self.add_validation(_validation_event(row))
        for row in history.epochs:
            self.mark_epoch(int(row["iteration"]))
            if phase_epoch is not None and int(row["epoch"]) == phase_epoch:
                self.mark_phase(int(row["iteration"]), PHASE_TEXT)
        self.refresh()

    # ----- display -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Push the buffers to the curves if anything changed since the last redraw."""
        if not self._dirty:
            return
        self._dirty = False
        for name, curve in self.curves.items():
            series = self.series[name]
            curve.setData(series.x.copy(), series.y.copy())
        self._grow_x_range()

    def _grow_x_range(self) -> None:
        """While training, double the x range when the data reaches its end (capped at the run's
        length): the axes change a dozen times in a run instead of at every redraw, which
        would re-lay out and repaint every tick label and grid line, and the curves still fill
        at least half the width."""
        loss = self.series["loss"]
        if not self._total or not len(loss) or loss.x[-1] <= self._x_limit:
            return
        self._x_limit = float(min(self._total, max(2 * loss.x[-1], 10)))
        for plot in self.plots.values():
            plot.getPlotItem().setXRange(0, self._x_limit, padding=0.01)

    def set_loss_log_scale(self, on: bool) -> None:
        """Log-scale y axis for the loss (losses spanning decades)."""
        self.plots["loss"].getPlotItem().setLogMode(y=on)
        self.plots["loss"].getPlotItem().setLabel("left", "Loss (log scale)" if on else "Loss")


class _EpochMarks:
    """Vertical dashed lines at epoch ends as one curve of line pairs, spanning the view."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.item = pg.PlotCurveItem(pen=pg.mkPen(EPOCH_LINE, width=1,
                                                  style=Qt.PenStyle.DashLine),
                                     connect="pairs")
        self.item.setZValue(-10)
        self.view = plot.getPlotItem().getViewBox()
        plot.getPlotItem().addItem(self.item, ignoreBounds=True)  # never widens the axes
        self.view.sigYRangeChanged.connect(self._update)
        self._xs = np.empty(0)

    def set_epochs(self, iterations: list[float]) -> None:
        self._xs = np.repeat(np.asarray(iterations, dtype=np.float64), 2)
        self._update()

    def _update(self) -> None:
        low, high = self.view.viewRange()[1]  # view units: already log10 on a log axis
        ys = np.tile(np.array([low, high]), len(self._xs) // 2)
        self.item.setData(self._xs, ys)


def _plot(name: str, title: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    item.setTitle(title, color=AXIS, size="10pt")
    item.setLabel("bottom", "Iteration")
    if name != "lr":  # a short plot: the title names it
        item.setLabel("left", title.replace(" (%)", ""))
    style_axes(item, colour_titles=False)  # never "Loss (x0.001)": ticks show plain values
    for side in ("bottom", "left"):
        item.getAxis(side).setStyle(maxTickLevel=1)  # no sub-minor grid lines: cheaper, calmer
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    item.layout.setContentsMargins(2, 2, 12, 2)  # room for the last tick label
    if name in LEGENDS:
        offset, columns = LEGENDS[name]
        item.addLegend(offset=offset, labelTextColor=AXIS, labelTextSize="8pt",
                       brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen(200, 200, 200),
                       colCount=columns, verSpacing=-4)
    widget.setMinimumHeight(110 if name == "lr" else 160)
    return widget


def _style(name: str) -> dict[str, Any]:
    if name in ("loss", "acc"):
        return {"pen": pg.mkPen(TRAIN_RAW, width=1)}
    if name.endswith("smoothed"):
        return {"pen": pg.mkPen(TRAIN, width=2)}
    if name.startswith("val"):
        return {"pen": pg.mkPen(VALIDATION, width=2), "symbol": "o", "symbolSize": 7,
                "symbolBrush": VALIDATION, "symbolPen": pg.mkPen("w")}
    return {"pen": pg.mkPen(LR, width=2)}


def _iteration_events(rows: Iterable[Mapping[str, Any]]) -> list[IterationEvent]:
    """History rows back to events (fields the history does not keep are 0)."""
    return [IterationEvent(epoch=int(r["epoch"]), iteration=int(r["iteration"]),
                           total_iterations=0, loss=float(r["loss"]),
                           accuracy=float(r["accuracy"]), lr=float(r["lr"]),
                           images_per_second=float(r.get("images_per_second", 0.0)),
                           elapsed=float(r.get("elapsed", 0.0)), eta_seconds=0.0)
            for r in rows]


def _validation_event(row: Mapping[str, Any]) -> ValidationEvent:
    return ValidationEvent(iteration=int(row["iteration"]), epoch=int(row["epoch"]),
                           train_loss=float(row["train_loss"]), train_acc=float(row["train_acc"]),
                           val_loss=float(row["val_loss"]), val_acc=float(row["val_acc"]),
                           is_best=bool(row.get("is_best", False)))
