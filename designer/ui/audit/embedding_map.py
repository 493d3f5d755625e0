"""The 2-D map of every image: a pyqtgraph scatter coloured by class, split, prediction,
correctness or confidence; hover shows the thumbnail; click (Ctrl-click adds) or drag a lasso
around points (Shift adds) selects. Wheel and right-drag zoom, middle-drag pans."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseDragEvent
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QPolygonF
from PySide6.QtWidgets import QApplication, QLabel, QToolTip, QVBoxLayout, QWidget

COLOURINGS = ("class", "split", "predicted", "correctness", "confidence")
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"]
_SPLITS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}


def inside_lasso(coords: np.ndarray, polygon: Sequence[tuple[float, float]]) -> list[int]:
    """Rows of ``coords`` (N x 2) inside the closed free-hand ``polygon`` (even-odd rule)."""
    if len(polygon) < 3 or not len(coords):
        return []
    shape = QPolygonF([QPointF(x, y) for x, y in polygon])
    box = shape.boundingRect()
    near = np.flatnonzero((coords[:, 0] >= box.left()) & (coords[:, 0] <= box.right())
                          & (coords[:, 1] >= box.top()) & (coords[:, 1] <= box.bottom()))
    return [int(i) for i in near if shape.containsPoint(
        QPointF(float(coords[i, 0]), float(coords[i, 1])), Qt.FillRule.OddEvenFill)]


class LassoViewBox(pg.ViewBox):
    """A ViewBox whose left-drag draws a lasso (in data coordinates) instead of panning."""

    #: a lasso was closed: (points [(x, y)], whether Shift/Ctrl asked to add)
    lassoed = Signal(list, bool)

    def __init__(self) -> None:
        super().__init__()
        self.outline = pg.PlotCurveItem(pen=pg.mkPen("#222", width=1.5, style=Qt.PenStyle.DashLine))
        self.outline.setZValue(10)
        self.addItem(self.outline, ignoreBounds=True)
        self.points: list[tuple[float, float]] = []

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        assert isinstance(ev, MouseDragEvent)
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.isStart():
            self.points = [self._data(ev.buttonDownPos())]
        self.points.append(self._data(ev.pos()))
        closed = [*self.points, self.points[0]]
        self.outline.setData([p[0] for p in closed], [p[1] for p in closed])
        if ev.isFinish():
            add = bool(ev.modifiers() & (Qt.KeyboardModifier.ShiftModifier
                                         | Qt.KeyboardModifier.ControlModifier))
            points, self.points = self.points, []
            self.outline.setData([], [])
            self.lassoed.emit(points, add)

    def _data(self, pos: QPointF) -> tuple[float, float]:
        point = self.mapToView(pos)
        return (point.x(), point.y())


class EmbeddingMap(QWidget):
    """Observes nothing: `show_points` gives it what to draw; emits the selected rows."""

    selection_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = LassoViewBox()
        self.view.lassoed.connect(self._on_lasso)
        self.plot = pg.PlotWidget(background="w", viewBox=self.view)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMenuEnabled(False)
        self.legend = self.plot.addLegend(offset=(5, 5))
        self.scatter = pg.ScatterPlotItem(size=9, hoverable=True, pen=pg.mkPen("#333", width=0.5))
        self.scatter.sigClicked.connect(self._on_clicked)
        self.scatter.sigHovered.connect(self._on_hovered)
        self.plot.addItem(self.scatter)
        self._legend_items: list[pg.ScatterPlotItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.hint = QLabel("Drag around dots to select them (Shift adds) · click a dot · "
                           "wheel or right-drag zooms, middle-drag pans")
        self.hint.setStyleSheet("color: #666;")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.coords = np.zeros((0, 2))
        self.paths: list[str] = []
        self.captions: list[str] = []
        self.selected: list[int] = []
        self._brushes: list[QColor] = []

    def show_points(self, coords: np.ndarray, paths: Sequence[str], captions: Sequence[str]) -> None:
        """New map: one point per image (absolute ``paths`` for the hover thumbnail)."""
        self.coords, self.paths, self.captions = coords, list(paths), list(captions)
        self.selected = []
        self.plot.enableAutoRange()

    def colour_by(self, groups: Sequence[str], colours: Sequence[QColor]) -> None:
        """Point colours and the legend (``groups[i]`` names the colour of point ``i``)."""
        self._brushes = list(colours)
        for item in self._legend_items:
            self.legend.removeItem(item)
        self._legend_items = []
        seen: dict[str, QColor] = {}
        for name, colour in zip(groups, colours, strict=True):
            seen.setdefault(name, colour)
        for name, colour in list(seen.items())[:12]:
            item = pg.ScatterPlotItem(size=9, brush=colour, pen=None)
            self.legend.addItem(item, html.escape(name))
            self._legend_items.append(item)
        self._redraw()

    def select(self, rows: Sequence[int]) -> None:
        """Outline these points (from the suspects list) without emitting."""
        self.selected = list(rows)
        self._redraw()

    def _redraw(self) -> None:
        chosen = set(self.selected)
        pens = [pg.mkPen("#000", width=2.5) if i in chosen else pg.mkPen("#333", width=0.5)
                for i in range(len(self.coords))]
        sizes = [14 if i in chosen else 9 for i in range(len(self.coords))]
        self.scatter.setData(x=self.coords[:, 0], y=self.coords[:, 1],
                             brush=self._brushes or None, pen=pens, size=sizes,
                             data=list(range(len(self.coords))))

    def _on_clicked(self, _item: object, points: Sequence[pg.SpotItem], _event: object = None) -> None:
        rows = [int(p.data()) for p in points[:1]]
        add = bool(QApplication.keyboardModifiers() & pg.QtCore.Qt.KeyboardModifier.ControlModifier)
        self.selected = sorted(set(self.selected) ^ set(rows)) if add else rows
        self._redraw()
        self.selection_changed.emit(list(self.selected))

    def lasso(self, polygon: Sequence[tuple[float, float]], add: bool = False) -> None:
        """Select the points inside ``polygon`` (data coordinates), added to the selection
        with ``add``; emits the new selection."""
        rows = inside_lasso(self.coords, polygon)
        self.selected = sorted(set(self.selected) | set(rows)) if add else rows
        self._redraw()
        self.selection_changed.emit(list(self.selected))

    def _on_lasso(self, polygon: list[tuple[float, float]], add: bool) -> None:
        self.lasso(polygon, add)

    def _on_hovered(self, _item: object, points: Sequence[pg.SpotItem], _event: object = None) -> None:
        dragging = bool(self.view.points) or _pressed(_event)
        if not len(points) or dragging:  # no thumbnails popping up while lassoing
            QToolTip.hideText()
            return
        row = int(points[0].data())
        path = html.escape(self.paths[row])
        QToolTip.showText(QCursor.pos() + QPointF(12, 12).toPoint(),
                          f'<img src="{path}" width="112"><br>{html.escape(self.captions[row])}',
                          self.plot)


def _pressed(event: object) -> bool:
    """Whether a mouse button is held in this hover event (an exit event knows no buttons)."""
    try:
        return bool(event.buttons())  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return False


def category_colours(names: Sequence[str], order: Sequence[str]) -> list[QColor]:
    """A colour per name, the palette in ``order``'s order."""
    index = {n: i for i, n in enumerate(order)}
    return [QColor(_SPLITS.get(n) or _PALETTE[index.get(n, 0) % len(_PALETTE)]) for n in names]


def ramp(values: Sequence[float]) -> list[QColor]:
    """Red (low) -> green (high) for values in [0, 1]."""
    return [QColor.fromHsvF(max(0.0, min(1.0, v)) / 3, 0.85, 0.9) for v in values]
