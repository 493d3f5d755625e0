"""`LayerItem`: one custom-painted node (a layer or a collapsed block).

One item per node with all drawing in `paint()` is 2-3x cheaper to build and draw than a rect
plus text items (fx-spike §4); text is skipped when zoomed far out (level of detail).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.ui.canvas import style
from designer.ui.canvas.nodes import FROZEN, PARTLY_FROZEN, NodeView

if TYPE_CHECKING:
    from designer.ui.canvas.edge_item import EdgeItem
    from designer.ui.canvas.frame_item import BlockFrame

STACK = 4.0  # offset of the shadow box that makes a block look like a stack of layers
# enum members looked up once: attribute chains on PySide enums cost microseconds per paint
NO_PEN, NO_BRUSH = Qt.PenStyle.NoPen, Qt.BrushStyle.NoBrush
LEFT_MIDDLE, CENTRE = Qt.AlignmentFlag.AlignVCenter, Qt.AlignmentFlag.AlignCenter


class LayerItem(QGraphicsItem):
    """A rounded box coloured by category with name, kind and output shape."""

    def __init__(self, view: NodeView, width: float) -> None:
        super().__init__()
        self.width = width
        self.view = view
        self.edges: list[EdgeItem] = []
        self.frames: list[BlockFrame] = []
        self.drop_target = False
        #: share of the measured forward time (None: not profiled, normal colours)
        self.heat: float | None = None
        self._texts: tuple[str, str, str] = ("", "", "")
        self._overview: dict[int, str] = {}
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setAcceptHoverEvents(False)
        self.setZValue(1.0)
        self.set_view(view)

    # ----- state -----------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The visible-graph node this item draws."""
        return self.view.key

    @property
    def frozen(self) -> bool:
        """Drawn frozen (a block: all its weighted layers are frozen)."""
        return self.view.frozen == FROZEN

    @property
    def partly_frozen(self) -> bool:
        """A block with some frozen layers."""
        return self.view.frozen == PARTLY_FROZEN

    @property
    def has_error(self) -> bool:
        """Drawn red: the analyzer reported an error on one of its layers."""
        return bool(self.view.error)

    @property
    def texts(self) -> tuple[str, str, str]:
        """The three lines as drawn (after elision): title, kind, shape."""
        return self._texts

    def set_view(self, view: NodeView) -> None:
        """Show new content (after an edit or an analysis) without rebuilding the scene."""
        self.view = view
        title_fm, detail_fm = style.metrics()
        room = self.width - style.BAND - 2 * style.PAD - self._icon_room()
        kind = view.kind + (f" · {view.frozen}" if view.is_block and view.frozen else "")
        shape = (f"⚠ {view.problem}" if view.error else view.shape) + (
            f"   lr ×{view.lr_factor:g}" if view.lr_factor != 1.0 else "")
        self._texts = (fit_title(title_fm, view.title, room, view.is_block),
                       _elided(detail_fm, kind, room),
                       _elided(detail_fm, shape, self.width - style.BAND - 2 * style.PAD))
        self._overview = {}
        self.setToolTip(view.tooltip())
        self.update()

    def set_heat(self, share: float | None) -> None:
        """Fill by share of measured time: white (none) to deep red (a quarter or more)."""
        if share != self.heat:
            self.heat = share
            self.update()

    def _heat_brush(self) -> QColor:
        level = min(1.0, ((self.heat or 0.0) / 0.25) ** 0.5)
        return QColor(255, round(255 - 190 * level), round(255 - 210 * level))

    def set_drop_target(self, on: bool) -> None:
        """Highlight while a dragged layer would be inserted after this node."""
        if on != self.drop_target:
            self.drop_target = on
            self.update()

    def _icon_room(self) -> float:
        return 18.0 * (bool(self.view.frozen) + bool(self.view.error or self.view.warning))

    # ----- geometry --------------------------------------------------------------------
    def box(self) -> QRectF:
        """The node's box in item coordinates (centred on the item's position)."""
        return QRectF(-self.width / 2, -style.NODE_HEIGHT / 2, self.width, style.NODE_HEIGHT)

    def boundingRect(self) -> QRectF:
        extra = STACK if self.view.is_block else 0.0
        return self.box().adjusted(-6, -6, 6 + extra, 6 + extra)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.box(), style.RADIUS, style.RADIUS)
        return path

    def out_port(self) -> QPointF:
        """Where edges leave (bottom centre, scene coordinates)."""
        return self.pos() + QPointF(0.0, style.NODE_HEIGHT / 2)

    def in_port(self) -> QPointF:
        """Where edges arrive (top centre, scene coordinates)."""
        return self.pos() - QPointF(0.0, style.NODE_HEIGHT / 2)

    def follow(self) -> None:
        """Re-route this node's edges and frames after it moved.

        Called by the view after a drag and by auto-arrange; an `itemChange` override would
        cost a Python call for every flag, scene and selection change of every item.
        """
        for edge in self.edges:
            edge.adjust()
        for frame in self.frames:
            frame.adjust()

    # ----- painting --------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        view, box = self.view, self.box()
        frozen = view.frozen == FROZEN
        if lod < style.TEXT_LOD:
            self._paint_overview(painter, box, frozen, lod)
            return
        if view.is_block:
            painter.setPen(style.border(view.category, "normal"))
            painter.setBrush(style.band(view.category, frozen))
            painter.drawRoundedRect(box.translated(STACK, STACK), style.RADIUS, style.RADIUS)
        self._paint_body(painter, box, frozen)
        self._paint_text(painter, box, frozen)
        self._paint_icons(painter, box)
        if self.heat is not None:
            self._paint_heat_text(painter, box)
        if self.isSelected():
            pen = QPen(style.SELECTED, 2.5)
            painter.setPen(pen)
            painter.setBrush(NO_BRUSH)
            painter.drawRoundedRect(box.adjusted(-3.5, -3.5, 3.5, 3.5), style.RADIUS + 3,
                                    style.RADIUS + 3)

    def _paint_overview(self, painter: QPainter, box: QRectF, frozen: bool, lod: float) -> None:
        """Zoomed out: a plain box, with just the title in a font big enough to read."""
        view = self.view
        if lod < style.TITLE_LOD:  # tiny: solid colours, so state survives at a few pixels
            painter.setPen(NO_PEN)
            painter.setBrush(self._heat_brush() if self.heat is not None else
                             style.overview_fill(view.category, frozen, self._state()))
            painter.drawRect(box)
            return
        painter.setPen(style.border(view.category, self._state()))
        painter.setBrush(self._heat_brush() if self.heat is not None else
                         style.fill(view.category, frozen))
        painter.drawRect(box)
        if frozen:
            painter.setBrush(style.hatch())
            painter.drawRect(box)
        pixels = min(int(style.OVERVIEW_TEXT_PX / lod / 4 + 1) * 4, int(box.height() * 0.55))
        font, fm = style.overview_font(pixels)
        if pixels not in self._overview:
            self._overview[pixels] = fit_title(fm, view.title, box.width() - 12, view.is_block)
        painter.setFont(font)
        painter.setPen(style.FROZEN_TEXT if frozen else style.TEXT)
        painter.drawText(box, CENTRE, self._overview[pixels])

    def _state(self) -> str:
        if self.drop_target:
            return "drop"
        if self.view.error:
            return "error"
        if self.isSelected():
            return "selected"
        return "warning" if self.view.warning else "normal"

    def _paint_body(self, painter: QPainter, box: QRectF, frozen: bool) -> None:
        view = self.view
        painter.setPen(NO_PEN)
        painter.setBrush(self._heat_brush() if self.heat is not None else
                         style.fill(view.category, frozen))
        painter.drawRoundedRect(box, style.RADIUS, style.RADIUS)
        if frozen or self.partly_frozen:
            painter.setBrush(style.hatch())
            painter.drawRoundedRect(box if frozen else box.adjusted(box.width() / 2, 0, 0, 0),
                                    style.RADIUS, style.RADIUS)
        painter.setBrush(style.band(view.category, frozen))
        band = QPainterPath()
        band.addRoundedRect(box.adjusted(0, 0, -(box.width() - 2 * style.RADIUS), 0),
                            style.RADIUS, style.RADIUS)
        strip = QPainterPath()
        strip.addRect(QRectF(box.left(), box.top(), style.BAND, box.height()))
        painter.drawPath(band.intersected(strip))
        painter.setPen(style.border(view.category, self._state()))
        painter.setBrush(NO_BRUSH)
        painter.drawRoundedRect(box, style.RADIUS, style.RADIUS)

    def _paint_text(self, painter: QPainter, box: QRectF, frozen: bool) -> None:
        title_font, detail_font, _ = style.fonts()
        left = box.left() + style.BAND + style.PAD
        width = box.width() - style.BAND - 2 * style.PAD
        title, kind, shape = self._texts
        painter.setFont(title_font)
        painter.setPen(style.FROZEN_TEXT if frozen else style.TEXT)
        painter.drawText(QRectF(left, box.top() + 4, width, 18), LEFT_MIDDLE, title)
        painter.setFont(detail_font)
        painter.setPen(style.TEXT_DIM)
        painter.drawText(QRectF(left, box.top() + 21, width, 16), LEFT_MIDDLE, kind)
        painter.setPen(style.ERROR if self.view.error else
                       (style.TEXT_DIM if self.view.stale else style.TEXT))
        painter.drawText(QRectF(left, box.top() + 37, width, 16), LEFT_MIDDLE, shape)

    def _paint_heat_text(self, painter: QPainter, box: QRectF) -> None:
        """The share of time, right-aligned on the kind line."""
        _title, detail_font, _ = style.fonts()
        painter.setFont(detail_font)
        painter.setPen(style.TEXT)
        painter.drawText(QRectF(box.left(), box.top() + 21, box.width() - 8, 16),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         f"{100 * (self.heat or 0.0):.1f} % time")

    def _paint_icons(self, painter: QPainter, box: QRectF) -> None:
        right = box.right() - 8
        if self.view.frozen:
            _paint_lock(painter, QPointF(right - 6, box.top() + 14), self.view.frozen == FROZEN)
            right -= 18
        if self.view.error or self.view.warning:
            _paint_bang(painter, QPointF(right - 6, box.top() + 13),
                        style.ERROR if self.view.error else style.WARNING)


def _elided(fm: QFontMetricsF, text: str, room: float) -> str:
    """`text` cut to `room` with an ellipsis; short texts skip the (costly) measuring."""
    if len(text) * style.widest_char(fm) <= room:
        return text
    return fm.elidedText(text, Qt.TextElideMode.ElideRight, room)


def fit_title(fm: QFontMetricsF, title: str, room: float, is_block: bool) -> str:
    """The title shortened to `room`: a block path loses its leading components first
    ('encoder.layers.encoder_layer_0' -> '…encoder_layer_0'), anything else its middle."""
    if fm.horizontalAdvance(title) <= room:
        return title
    if is_block:
        parts = title.split(".")
        for start in range(1, len(parts)):
            tail = "…" + ".".join(parts[start:])
            if fm.horizontalAdvance(tail) <= room:
                return tail
    return fm.elidedText(title, Qt.TextElideMode.ElideMiddle, room)


def _paint_lock(painter: QPainter, centre: QPointF, full: bool) -> None:
    """A padlock: shackle arc over a body; a partly frozen block gets a hollow body."""
    painter.setPen(QPen(style.LOCK, 1.8))
    painter.setBrush(NO_BRUSH)
    shackle = QRectF(centre.x() - 4, centre.y() - 9, 8, 10)
    painter.drawArc(shackle, 0, 180 * 16)
    painter.drawLine(QPointF(shackle.left(), centre.y() - 4), QPointF(shackle.left(), centre.y() - 1))
    painter.drawLine(QPointF(shackle.right(), centre.y() - 4),
                     QPointF(shackle.right(), centre.y() - 1))
    painter.setBrush(style.LOCK if full else NO_BRUSH)
    painter.drawRoundedRect(QRectF(centre.x() - 6, centre.y() - 1, 12, 9), 1.5, 1.5)


def _paint_bang(painter: QPainter, centre: QPointF, colour: QColor) -> None:
    """A filled circle with '!' marking a layer the analyzer complains about."""
    _, _, badge = style.fonts()
    painter.setPen(NO_PEN)
    painter.setBrush(colour)
    painter.drawEllipse(centre, 7.5, 7.5)
    painter.setPen(QColor("white"))
    painter.setFont(badge)
    painter.drawText(QRectF(centre.x() - 7.5, centre.y() - 7.5, 15, 15),
                     CENTRE, "!")
