"""`EdgeItem`: a dataflow edge drawn as a cubic curve with an arrow head.

Edges between neighbouring rows are S-curves. A skip edge (a residual connection) runs straight
down a free column when its source's or target's column is free over its span; otherwise it
bows out into a lane beside the nodes it passes, so it never crosses a box.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.ui.canvas import style
from designer.ui.canvas.node_item import LayerItem

ARROW = 8.0
ROW = style.NODE_HEIGHT + style.ROW_GAP
#: how an edge spanning several rows avoids the nodes between: down the source's column, down
#: the target's column (either one free of nodes), or in a lane beside them
SOURCE_COLUMN, TARGET_COLUMN, SIDE_LANE = "source", "target", "side"
NO_BRUSH = Qt.BrushStyle.NoBrush


class EdgeItem(QGraphicsItem):
    """Dataflow from `source`'s output to `target`'s input."""

    def __init__(self, source: LayerItem, target: LayerItem, lane: str = SIDE_LANE) -> None:
        super().__init__()
        self.source = source
        self.target = target
        self.lane = lane
        self.highlight = False
        self._path = QPainterPath()
        self._arrow = QPolygonF()
        self._rect = QRectF()
        self._hit: QPainterPath | None = None
        self.setZValue(0.0)
        source.edges.append(self)
        target.edges.append(self)
        self.adjust()

    def adjust(self) -> None:
        """Recompute the curve after a node moved."""
        self.prepareGeometryChange()
        start, end = self.source.out_port(), self.target.in_port()
        self._path = route(start, end, self.source.width, self.lane)
        tip = end
        self._arrow = QPolygonF([tip, QPointF(tip.x() - ARROW / 2, tip.y() - ARROW),
                                 QPointF(tip.x() + ARROW / 2, tip.y() - ARROW)])
        self._rect = self._path.controlPointRect().adjusted(-ARROW, -ARROW, ARROW, ARROW)
        self._hit = None

    def set_highlight(self, on: bool) -> None:
        """Thick and blue while a dragged layer would be inserted here."""
        if on != self.highlight:
            self.highlight = on
            self.update()

    def path(self) -> QPainterPath:
        """The drawn curve (scene coordinates; the item sits at the origin)."""
        return self._path

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        if self._hit is None:  # built on demand: only hit-tests (drops, clicks) need it
            stroker = QPainterPathStroker()
            stroker.setWidth(14.0)
            self._hit = stroker.createStroke(self._path)
        return self._hit

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        pen = style.edge_pen(self.highlight)
        painter.setPen(pen)
        painter.setBrush(NO_BRUSH)
        painter.drawPath(self._path)
        if lod >= style.ARROW_LOD:
            painter.setBrush(pen.color())
            painter.drawPolygon(self._arrow)


def route(start: QPointF, end: QPointF, node_width: float, lane_kind: str = SIDE_LANE) -> QPainterPath:
    """The curve from an output port down to an input port."""
    path = QPainterPath(start)
    dy = end.y() - start.y()
    rows = round((dy + style.NODE_HEIGHT) / ROW)
    tip = QPointF(end.x(), end.y() - ARROW + 1)
    if rows <= 1 or dy <= 0:
        bend = max(abs(dy) / 2, 24.0)
        path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(tip.x(), tip.y() - bend), tip)
        path.lineTo(end)
        return path
    lane = start.x() if lane_kind == SOURCE_COLUMN else end.x()
    if lane_kind == SIDE_LANE:
        side = -1.0 if end.x() < start.x() - 1 else 1.0
        edge = max(start.x(), end.x()) if side > 0 else min(start.x(), end.x())
        lane = edge + side * (node_width / 2 + 14 + 6 * min(rows - 2, 5))
    gap = style.ROW_GAP / 2
    top, bottom = start.y() + gap, tip.y() - gap
    path.cubicTo(QPointF(start.x(), top), QPointF(lane, start.y()), QPointF(lane, top + gap))
    path.lineTo(QPointF(lane, bottom - gap))
    path.cubicTo(QPointF(lane, tip.y()), QPointF(tip.x(), bottom), tip)
    path.lineTo(end)
    return path
