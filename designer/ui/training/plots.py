"""Live training curves: loss, accuracy and learning rate against the iteration.

Events only append to numpy buffers and mark the plots dirty; a `QTimer` pushes the buffers to
the curves at most 10 times a second (DESIGN.md §4 allows 20), so a run with thousands of
iterations a second costs the GUI a few redraws, not thousands; a curve whose series did not
change (the validation points between validations) is not set again. Every point is kept (the
curves are the run's full history); pyqtgraph's clip-to-view and peak downsampling keep long
runs fast.

Painting is Python-heavy in pyqtgraph, so each redraw is kept cheap (measured, see
bench/plot_redraw.py and bench/ui_latency.py): pyqtgraph's auto-range is off and the view ranges
are set by `ranges.RangeKeeper` from running bounds, growing in steps while a run trains (the x
axis by doubling), so the axes' ticks, labels and grid are regenerated a handful of times in a
run, not at every redraw; grid lines stop at minor ticks, and epoch boundaries are one line item
per plot instead of one InfiniteLine per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QGridLayout, QWidget

from designer.training.events import IterationEvent, ValidationEvent
from designer.training.history import History
from designer.ui.plot_style import AXIS, style_axes
from designer.ui.training.ranges import PAD, Range, RangeKeeper, fitted
from designer.ui.training.series import Series, Smoother

TRAIN = QColor(31, 119, 180)
TRAIN_RAW = QColor(31, 119, 180, 70)
VALIDATION = QColor(230, 110, 0)
LR = QColor(44, 140, 60)
EPOCH_LINE = QColor(150, 150, 150)
REDRAW_MS = 100
#: at most one plot's view moves (and its axes are drawn again) per frame of this long
FRAME_MS = 20

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
        #: each plot's view range, set from the data (pyqtgraph's auto-range is off)
        self.ranges = {name: RangeKeeper(plot.getPlotItem(),
                                         fitted(0, 100) if name == "accuracy" else None)
                       for name, plot in self.plots.items()}
        self.series: dict[str, Series] = {name: Series() for name in CURVES}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for name, (plot, label) in CURVES.items():
            self.curves[name] = self.plots[plot].plot(name=label or None, **_style(name))
        self._shown = dict.fromkeys(CURVES, -1)  # the series version each curve shows
        #: plots still to be brought up to date, a frame after another's view moved (`refresh`)
        self._waiting: list[str] = []
        self._next_frame = QTimer(self, singleShot=True, interval=FRAME_MS)
        self._next_frame.timeout.connect(self._update_waiting)
        self._log_loss = False
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
        for keeper in self.ranges.values():
            keeper.reset()
        self._dirty = True
        self.refresh()

    def start_run(self, total_iterations: int) -> None:
        """Let the axes grow in steps while the run trains (see `_x_range`, `RangeKeeper`)."""
        self._total = max(total_iterations, 1)
        self._x_limit = 0.0
        for keeper in self.ranges.values():
            keeper.reset()

    def finish_run(self) -> None:
        """Fit the axes to the data again (one plot per frame, see `refresh`)."""
        self._total = 0
        self._dirty = True
        self.refresh()

    @property
    def settled(self) -> bool:
        """No plot is waiting for its turn to be brought up to date (see `refresh`)."""
        return not self._waiting

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
        """Bring the plots up to date with the buffers if anything changed since the last
        redraw: each plot its curves, then its view. Once a plot's view moved (its axes and grid
        are drawn again, ~10-15 ms), the plots after it wait for the next frame: the views
        move together when the data starts and whenever the x range doubles, and three plots'
        new axes in one frame stalled the window 50-95 ms (bench/ui_latency.py). A waiting
        plot's curves wait with its view, so no point is ever drawn outside its view."""
        if not self._dirty:
            return
        self._dirty = False
        self._waiting = list(self.plots)
        self._update_waiting()

    def _update_waiting(self) -> None:
        """Update the waiting plots in order until one's view moves; the rest next frame."""
        training = self._total > 0
        x_range = self._x_range(training)
        while self._waiting:
            name = self._waiting.pop(0)
            self._push_curves(name)
            moved = self.ranges[name].keep(x_range, self._y_bounds(name), grow=training)
            if moved and self._waiting:
                self._next_frame.start()
                return

    def _push_curves(self, plot: str) -> None:
        """Give each curve of `plot` its series, if the series changed since it was last given."""
        for name, curve in self.curves.items():
            series = self.series[name]
            if CURVES[name][0] == plot and self._shown[name] != series.version:
                curve.setData(series.x.copy(), series.y.copy())
                self._shown[name] = series.version

    def _x_range(self, training: bool) -> Range | None:
        xs = [series.x for series in self.series.values() if len(series)]
        if not xs:
            return None
        first, last = min(float(x[0]) for x in xs), max(float(x[-1]) for x in xs)
        if not training:
            return fitted(first, last)
        if last > self._x_limit:
            self._x_limit = float(min(self._total, max(2 * last, 10)))
        return -PAD / 3 * self._x_limit, self._x_limit * (1 + PAD / 3)

    def _y_bounds(self, plot: str) -> Range | None:
        """The plot's finite y extent over its curves, in view units (log10 on a log axis)."""
        shown = [self.series[name] for name, (where, _label) in CURVES.items() if where == plot]
        log = plot == "loss" and self._log_loss
        if log:
            low = min(series.y_positive for series in shown)
            high = max(series.y_high for series in shown)
            return (math.log10(low), math.log10(high)) if math.isfinite(low) and high > 0 else None
        low, high = min(s.y_low for s in shown), max(s.y_high for s in shown)
        return (low, high) if math.isfinite(low) and math.isfinite(high) else None

    def set_loss_log_scale(self, on: bool) -> None:
        """Log-scale y axis for the loss (losses spanning decades)."""
        self._log_loss = on
        self.plots["loss"].getPlotItem().setLogMode(y=on)
        self.plots["loss"].getPlotItem().setLabel("left", "Loss (log scale)" if on else "Loss")
        self.ranges["loss"].reset()
        self._dirty = True
        self.refresh()


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


class _FewTicksAxis(pg.AxisItem):
    """The short learning-rate plot's left axis (~60 px at 1366x768): pyqtgraph put four
    labels there, which overlapped; this one keeps one label per ~30 px and no minor ticks."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float  # noqa: N803 - pyqtgraph
                    ) -> list[tuple[float, float]]:
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or levels[0][0] <= 0:
            return levels
        spacing, offset = levels[0]
        most = max(3, int(size // 30))  # 3: the one at an edge often has no room
        while _ticks_in(minVal, maxVal, spacing) > most \
                and _ticks_in(minVal, maxVal, 2 * spacing) >= 2:
            spacing *= 2
        return [(spacing, offset)]


def _ticks_in(low: float, high: float, spacing: float) -> int:
    """How many multiples of `spacing` lie in [low, high]."""
    low, high = min(low, high), max(low, high)
    return int(math.floor(high / spacing) - math.ceil(low / spacing)) + 1


def _plot(name: str, title: str) -> pg.PlotWidget:
    axes = None
    if name == "lr":
        axes = {"left": _FewTicksAxis("left")}
        axes["left"].setStyle(textFillLimits=[(0, 1.0)])  # the spacing already leaves room
    widget = pg.PlotWidget(background="w", axisItems=axes)
    item = widget.getPlotItem()
    item.setTitle(title, color=AXIS, size="10pt")
    item.setLabel("bottom", "Iteration")
    if name != "lr":  # a short plot: the title names it
        item.setLabel("left", title.replace(" (%)", ""))
    style_axes(item, colour_titles=False)  # never "Loss (x0.001)": ticks show plain values
    for side in ("bottom", "left"):
        axis = item.getAxis(side)
        axis.setStyle(maxTickLevel=1)  # no sub-minor grid lines: cheaper, calmer
        # the axis draws its grid over the whole view, so every new curve point repainted it
        # (replaying every grid line and tick label): kept as a pixmap until the range moves
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    item.layout.setContentsMargins(2, 2, 12, 2)  # room for the last tick label
    if name in LEGENDS:
        offset, columns = LEGENDS[name]
        item.addLegend(offset=offset, labelTextColor=AXIS, labelTextSize="8pt",
                       brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen(200, 200, 200),
                       colCount=columns, verSpacing=-4)
        item.legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # fixed text
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
