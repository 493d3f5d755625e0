"""`BlockFrame`: a faint box behind the layers of an expanded block, labelled with its path.

It shows where a block's layers are after expanding it and is the place to double-click to
collapse it again.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.ui.canvas import style
from designer.ui.canvas.node_item import LayerItem

PAD = 12.0
LABEL_WIDTH = 220.0
DASHED = QPen(style.FRAME_LINE, 1.0, Qt.PenStyle.DashLine)
SOLID = QPen(style.FRAME_LINE, 1.0)


class BlockFrame(QGraphicsItem):
    """The outline of one expanded block around its visible nodes."""

    def __init__(self, path: str, members: list[LayerItem], nesting: int) -> None:
        """`nesting`: how many levels of frames lie inside this one (outer frames pad more)."""
        super().__init__()
        self.path = path
        self.members = members
        self.nesting = nesting
        self._box = QRectF()
        self.setZValue(-1.0 - nesting * 0.01)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setToolTip(f"Block {path} — double-click its frame or its name to collapse it")
        for item in members:
            item.frames.append(self)
        self.adjust()

    def adjust(self) -> None:
        """Follow the member nodes (after a move or an auto-arrange)."""
        self.prepareGeometryChange()
        box = QRectF()
        for item in self.members:
            box = box.united(item.mapRectToScene(item.box()))
        pad = PAD + 6.0 * self.nesting
        self._box = box.adjusted(-pad, -pad, pad, pad)

    def box(self) -> QRectF:
        """The frame rectangle (scene coordinates)."""
        return self._box

    def boundingRect(self) -> QRectF:
        return self._box.adjusted(-LABEL_WIDTH - 4, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        # a dashed outline is slow to stroke when zoomed far out; solid reads the same there
        painter.setPen(DASHED if lod >= style.TEXT_LOD else SOLID)
        painter.setBrush(style.FRAME_FILL)
        painter.drawRoundedRect(self._box, 10, 10)
        if lod >= style.TEXT_LOD:
            _, detail, _ = style.fonts()
            painter.setFont(detail)
            painter.setPen(style.TEXT_DIM)
            label = QRectF(self._box.left() - LABEL_WIDTH - 6, self._box.top(), LABEL_WIDTH, 18)
            painter.drawText(label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             style.metrics()[1].elidedText(self.path, Qt.TextElideMode.ElideLeft,
                                                           LABEL_WIDTH))
