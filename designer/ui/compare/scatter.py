"""Accuracy against latency for the checked runs, with the Pareto front drawn through the best.

A run is on the front when no other run is both at least as fast and at least as accurate
(and better in one): those are the only runs worth choosing between. Latencies within each
other's timing noise count as equal, so noise never decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.project.run_compare import accuracy_of, pareto_front
from designer.project.runs import RunRecord
from designer.ui.compare.colours import RunColours
from designer.ui.compare.curves import make_plot

_FRONT = QColor(230, 110, 0)


@dataclass(frozen=True)
class ScatterPoint:
    """A run where it is drawn: latency in ms, accuracy in percent (as everywhere in the app)."""

    run: RunRecord
    latency_ms: float
    accuracy: float


class ParetoScatter(QWidget):
    """Scatter of (latency, accuracy) per run; ``front`` holds the non-dominated runs."""

    run_clicked = Signal(object)  # RunRecord

    def __init__(self, colours: RunColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = colours
        self.plot = make_plot("Accuracy vs latency (up and left is better)", "accuracy (%)")
        self.plot.getPlotItem().setLabel("bottom", "latency per image on the CPU (ms)")
        self.scatter = pg.ScatterPlotItem(pxMode=True, size=13, hoverable=True)
        self.scatter.sigClicked.connect(self._on_clicked)
        self.front_line = pg.PlotDataItem(pen=pg.mkPen(_FRONT, width=2, style=Qt.PenStyle.DashLine))
        self.front_ring = pg.ScatterPlotItem(pxMode=True, size=20, brush=None,
                                             pen=pg.mkPen(_FRONT, width=2))
        for item in (self.front_line, self.front_ring, self.scatter):
            self.plot.getPlotItem().addItem(item)
        self._labels: list[pg.TextItem] = []
        self.points: list[ScatterPoint] = []
        self.front: list[ScatterPoint] = []
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)

    def set_runs(self, runs: Sequence[RunRecord]) -> None:
        self.points = []
        for run in runs:
            acc, lat = accuracy_of(run), run.stats.latency_ms
            if acc is not None and lat is not None:
                self.points.append(ScatterPoint(run, float(lat), 100 * acc))
        front_idx = pareto_front([(p.latency_ms, p.accuracy) for p in self.points],
                                 [p.run.stats.latency_spread_ms for p in self.points])
        self.front = [self.points[i] for i in front_idx]
        self.scatter.setData(spots=[
            {"pos": (p.latency_ms, p.accuracy), "data": p.run,
             "brush": pg.mkBrush(self._colours.colour(p.run)), "pen": pg.mkPen("w")}
            for p in self.points
        ])
        self.front_line.setData([p.latency_ms for p in self.front], [p.accuracy for p in self.front])
        self.front_ring.setData([p.latency_ms for p in self.front], [p.accuracy for p in self.front])
        self._label_points()
        self._fit_view()
        missing = len(runs) - len(self.points)
        parts = [f"Pareto front (orange): {', '.join(p.run.name for p in self.front)}."
                 if self.front else "Check runs to place them here."]
        if missing:
            parts.append(f"{missing} checked run(s) lack an accuracy or a latency measurement.")
        self.note.setText(" ".join(parts))

    def _label_points(self) -> None:
        item = self.plot.getPlotItem()
        for label in self._labels:
            item.removeItem(label)
        self._labels = []
        middle = (min(p.latency_ms for p in self.points) + max(p.latency_ms for p in self.points)) / 2 \
            if self.points else 0.0
        seen: dict[tuple[float, float], int] = {}
        for p in self.points:
            # runs at the same spot (same design, same accuracy) stack their names, not overlap
            spot = (round(p.latency_ms, 6), round(p.accuracy, 6))
            rise = 1.1 + 1.1 * seen.get(spot, 0)
            seen[spot] = seen.get(spot, 0) + 1
            # names of the slower half go to the left of their point, so none runs off the plot
            anchor = (1.1, rise) if p.latency_ms > middle else (-0.1, rise)
            label = pg.TextItem(p.run.name, color=(30, 30, 30), anchor=anchor)
            label.setPos(p.latency_ms, p.accuracy)
            item.addItem(label)
            self._labels.append(label)

    def _fit_view(self) -> None:
        """Room around the points for the rings and names (pyqtgraph fits them edge to edge)."""
        if not self.points:
            return
        fit_latency_accuracy(self.plot, [p.latency_ms for p in self.points],
                             [p.accuracy for p in self.points], spread=0.15, floor=0.1, min_pad_y=2.0)

    def _on_clicked(self, _item: object, spots: Sequence[pg.SpotItem], _event: object = None) -> None:
        if spots:
            self.run_clicked.emit(spots[0].data())


def fit_latency_accuracy(plot: pg.PlotWidget, lats: Sequence[float], accs: Sequence[float], *,
                         spread: float, floor: float, min_pad_y: float) -> None:
    """Fit a latency (x) / accuracy % (y) scatter with room for rings and names: `spread` of
    the data's range (at least `floor` of the largest latency) on x, at least `min_pad_y` on y."""
    pad_x = max((max(lats) - min(lats)) * spread, max(lats) * floor, 0.1)
    pad_y = max((max(accs) - min(accs)) * 0.2, min_pad_y)
    view = plot.getPlotItem()
    view.setXRange(max(0.0, min(lats) - pad_x), max(lats) + pad_x, padding=0)
    view.setYRange(max(0.0, min(accs) - pad_y), min(100.0, max(accs)) + pad_y, padding=0)
