"""The finder's chart: probe accuracy on the user's data against measured latency.

Bubble area follows the model's size; pretrained models are blue, random-weight controls grey;
the Pareto front (no other model both faster and more accurate) is ringed and joined in orange.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.search.finder import ProbeResult
from designer.ui.compare.curves import make_plot
from designer.ui.compare.scatter import fit_latency_accuracy

_FRONT = QColor(230, 110, 0)
_PRETRAINED = QColor(40, 110, 200, 170)
_RANDOM = QColor(150, 150, 150, 170)


def bubble_px(size_mb: float) -> float:
    """Bubble diameter in pixels: area grows with the size, clamped so every bubble shows."""
    return max(8.0, min(48.0, 6.0 * math.sqrt(max(size_mb, 0.0))))


class FinderChart(QWidget):
    """Scatter of (latency, probe accuracy) per candidate; ``front`` holds the Pareto front."""

    clicked = Signal(object)  # ProbeResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot("Probe accuracy on your data vs speed (up and left is better)",
                              "probe accuracy (%)")
        self.plot.getPlotItem().setLabel("bottom", "latency per image on this CPU (ms)")
        self.scatter = pg.ScatterPlotItem(pxMode=True, hoverable=True)
        self.scatter.sigClicked.connect(self._on_clicked)
        self.front_line = pg.PlotDataItem(pen=pg.mkPen(_FRONT, width=2, style=Qt.PenStyle.DashLine))
        self.front_ring = pg.ScatterPlotItem(pxMode=True, brush=None, pen=pg.mkPen(_FRONT, width=2))
        for item in (self.front_line, self.scatter, self.front_ring):
            self.plot.getPlotItem().addItem(item)
        self._labels: list[pg.TextItem] = []
        self.plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self._label_points())
        self.rows: list[ProbeResult] = []
        self.front: list[ProbeResult] = []
        self.note = QLabel("Bubble area: model size. Blue: pretrained; grey: random-weight "
                           "control. Orange: Pareto front.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)

    def set_results(self, rows: Sequence[ProbeResult], front: Sequence[ProbeResult]) -> None:
        self.rows, self.front = list(rows), sorted(front, key=lambda r: r.latency_ms)
        self.scatter.setData(spots=[
            {"pos": (r.latency_ms, 100 * r.cv_accuracy), "data": r, "size": bubble_px(r.size_mb),
             "brush": pg.mkBrush(_PRETRAINED if r.weights == "pretrained" else _RANDOM),
             "pen": pg.mkPen("w")} for r in self.rows])
        xs = [r.latency_ms for r in self.front]
        ys = [100 * r.cv_accuracy for r in self.front]
        self.front_line.setData(xs, ys)
        self.front_ring.setData(spots=[{"pos": (x, y), "size": bubble_px(r.size_mb) + 8}
                                       for x, y, r in zip(xs, ys, self.front, strict=True)])
        self._fit_view()
        self._label_points()

    def _label_points(self) -> None:
        """One label per group of nearby points, placed where it covers no other label (in
        the view's pixels: placed again when the chart is resized)."""
        item = self.plot.getPlotItem()
        for label in self._labels:
            item.removeItem(label)
        self._labels = []
        if not self.rows:
            return
        xs = [r.latency_ms for r in self.rows]
        ys = [100 * r.cv_accuracy for r in self.rows]
        middle, width = (min(xs) + max(xs)) / 2, (max(xs) - min(xs)) or 1.0
        height = (max(ys) - min(ys)) or 1.0
        groups: list[list[ProbeResult]] = []  # points whose labels would collide share one
        for r, x, y in zip(self.rows, xs, ys, strict=True):
            near = next((g for g in groups if abs(g[0].latency_ms - x) < 0.15 * width
                         and abs(100 * g[0].cv_accuracy - y) < 0.06 * height), None)
            if near is None:
                groups.append([r])
            else:
                near.append(r)
        placed: list[QRectF] = []
        for group in groups:
            r = group[0]
            name = " / ".join(g.model.replace("_bundled", "") + (
                "" if g.weights == "pretrained" else " (rnd)") for g in group)
            anchor = self._free_anchor(name, r.latency_ms, 100 * r.cv_accuracy,
                                       r.latency_ms > middle, placed)
            label = pg.TextItem(name, color=(30, 30, 30), anchor=anchor)
            label.setPos(r.latency_ms, 100 * r.cv_accuracy)
            item.addItem(label)
            self._labels.append(label)

    def _free_anchor(self, text: str, x: float, y: float, left: bool,
                     placed: list[QRectF]) -> tuple[float, float]:
        """Above or below, on the side away from the nearer edge or else the other side: the
        first whose box (in the view's pixels) stays inside the view and covers the fewest
        labels placed so far (it is then added to them)."""
        view = self.plot.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        width, height = max(view.width(), 200.0), max(view.height(), 120.0)
        px = (x - x0) / ((x1 - x0) or 1.0) * width
        py = (y1 - y) / ((y1 - y0) or 1.0) * height  # downwards, as on screen
        metrics = QFontMetricsF(QFont())
        w, h = metrics.horizontalAdvance(text) + 8.0, metrics.height() + 4.0
        sides = ((1.1, -0.1) if left else (-0.1, 1.1))
        options = [((ax, ay), QRectF(px - w if ax > 0.5 else px, py - h if ay > 0.5 else py, w, h))
                   for ax in sides for ay in (1.1, -0.1)]
        frame = QRectF(0.0, 0.0, width, height)

        def cost(option: tuple[tuple[float, float], QRectF]) -> tuple[bool, int]:
            box = option[1]  # first: inside the view; then: covering the fewest labels
            return not frame.contains(box), sum(box.intersects(p) for p in placed)

        anchor, box = min(options, key=cost)  # (min keeps the earliest of equals)
        placed.append(box)
        return anchor

    def _fit_view(self) -> None:
        if not self.rows:
            return
        fit_latency_accuracy(self.plot, [r.latency_ms for r in self.rows],
                             [100 * r.cv_accuracy for r in self.rows], spread=0.2, floor=0.15,
                             min_pad_y=3.0)

    def _on_clicked(self, _item: object, spots: Sequence[pg.SpotItem], _event: object = None) -> None:
        if spots:
            self.clicked.emit(spots[0].data())
