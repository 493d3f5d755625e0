"""`BlockFrame`: a faint box behind the layers of an expanded block, labelled with its path.

It shows where a block's layers are after expanding it. Its header (the "▾ name" tab left of
the box plus the box's top edge) is a large click target that collapses the block again; a
double-click anywhere on the frame does too.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.ui.canvas import style
from designer.ui.canvas.node_item import LayerItem

PAD = 12.0
LABEL_WIDTH = 220.0
#: height of the header tab (a comfortable click target, not a 10 px strip)
HEADER = 24.0
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
        self.setToolTip(f"Block {path} — click its name (▾) to collapse it")
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

    def tab(self) -> QRectF:
        """The "▾ name" tab left of the frame (scene coordinates)."""
        return QRectF(self._box.left() - LABEL_WIDTH - 6, self._box.top(), LABEL_WIDTH + 6, HEADER)

    def header_contains(self, scene_pos: QPointF) -> bool:
        """True on the tab or the frame's top edge strip: a click there collapses the block."""
        top = QRectF(self._box.left(), self._box.top(), self._box.width(), PAD + 6.0 * self.nesting)
        return self.tab().contains(scene_pos) or top.contains(scene_pos)

    def boundingRect(self) -> QRectF:
        return self._box.adjusted(-LABEL_WIDTH - 8, -2, 2, max(2.0, HEADER - self._box.height()))

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
            text = "▾ " + style.metrics()[1].elidedText(self.path, Qt.TextElideMode.ElideLeft,
                                                        LABEL_WIDTH - 24)
            width = min(LABEL_WIDTH, style.metrics()[1].horizontalAdvance(text) + 14)
            tab = self.tab()
            button = QRectF(tab.right() - width, tab.top(), width, HEADER)
            painter.setPen(SOLID)
            painter.drawRoundedRect(button, 5, 5)  # reads as something to click
            painter.setPen(style.TEXT_DIM)
            painter.drawText(button.adjusted(0, 0, -6, 0),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
