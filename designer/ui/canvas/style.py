"""Sizes, colours, fonts and pens of the canvas, created once and shared by every item.

Painting thousands of nodes in Python is affordable only when `paint()` allocates nothing:
pens, brushes and fonts live here, keyed by category and state.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen

from designer.core.categories import colour_of

NODE_HEIGHT = 58.0
MIN_NODE_WIDTH = 176.0
MAX_NODE_WIDTH = 300.0
COLUMN_GAP = 44.0
ROW_GAP = 30.0
RADIUS = 7.0
BAND = 7.0  # coloured strip on the left of a node
PAD = 10.0

#: below this zoom, nodes show only their title, in a font scaled up to stay readable
TEXT_LOD = 0.42
#: below this zoom, nodes are plain boxes
TITLE_LOD = 0.24
#: on-screen pixel height of titles in the zoomed-out (title only) mode
OVERVIEW_TEXT_PX = 10.0
#: below this zoom, edges lose their arrow heads
ARROW_LOD = 0.3

TEXT = QColor("#1d232b")
TEXT_DIM = QColor("#5c6670")
FROZEN_TEXT = QColor("#59606a")
SELECTED = QColor("#1769e0")
ERROR = QColor("#d21f1f")
WARNING = QColor("#d98200")
EDGE = QColor("#7d8794")
DROP = QColor("#1769e0")
FROZEN_FILL = QColor("#e1e3e6")
LOCK = QColor("#3f464f")
FRAME_FILL = QColor(95, 127, 159, 22)
FRAME_LINE = QColor(95, 127, 159, 90)


@cache
def fonts() -> tuple[QFont, QFont, QFont]:
    """(title, detail, badge) fonts; created lazily because Qt needs a QGuiApplication first."""
    title = QFont()
    title.setPointSizeF(9.5)
    title.setBold(True)
    detail = QFont()
    detail.setPointSizeF(8.5)
    badge = QFont()
    badge.setPointSizeF(8.0)
    badge.setBold(True)
    return title, detail, badge


@cache
def metrics() -> tuple[QFontMetricsF, QFontMetricsF]:
    """Metrics of the title and detail fonts (for widths and elision)."""
    title, detail, _ = fonts()
    return QFontMetricsF(title), QFontMetricsF(detail)


_WIDEST: dict[int, float] = {}


def widest_char(fm: QFontMetricsF) -> float:
    """Upper bound of one character's width in the texts nodes show (for a no-measure fast path)."""
    key = id(fm)
    if key not in _WIDEST:
        _WIDEST[key] = max(fm.horizontalAdvance(c) for c in "WM@%⚠×…")
    return _WIDEST[key]


@cache
def overview_font(pixels: int) -> tuple[QFont, QFontMetricsF]:
    """Bold title font of a given pixel size (scene units) for the zoomed-out mode."""
    font = QFont()
    font.setPixelSize(pixels)
    font.setBold(True)
    return font, QFontMetricsF(font)


@cache
def category_colour(category: str) -> QColor:
    """The category's colour as drawn in the node's band."""
    return QColor(colour_of(category))


@cache
def fill(category: str, frozen: bool) -> QBrush:
    """Node body: a pale tint of the category colour; frozen nodes are grey."""
    if frozen:
        return QBrush(FROZEN_FILL)
    return QBrush(_mix(category_colour(category), QColor("white"), 0.74))


@cache
def band(category: str, frozen: bool) -> QBrush:
    """The strip on the left: full category colour, washed out to grey when frozen."""
    colour = category_colour(category)
    if frozen:
        grey = colour.lightnessF()
        return QBrush(_mix(QColor.fromHslF(0.0, 0.0, min(grey, 0.6)), QColor("white"), 0.25))
    return QBrush(colour)


@cache
def overview_fill(category: str, frozen: bool, state: str) -> QBrush:
    """Solid fill when zoomed far out: errors red, selection blue, frozen grey, else category."""
    if state == "error":
        return QBrush(ERROR)
    if state in ("selected", "drop"):
        return QBrush(SELECTED)
    if frozen:
        return QBrush(QColor("#b9bdc3"))
    return QBrush(_mix(category_colour(category), QColor("white"), 0.3))


@cache
def hatch() -> QBrush:
    """Diagonal lines over frozen nodes: readable as 'locked' even in greyscale."""
    return QBrush(QColor(150, 156, 164, 90), Qt.BrushStyle.BDiagPattern)


@cache
def border(category: str, state: str) -> QPen:
    """Outline by state: 'normal', 'selected', 'error', 'warning', 'drop'."""
    colours = {"selected": SELECTED, "error": ERROR, "warning": WARNING, "drop": DROP}
    widths = {"selected": 3.0, "error": 2.6, "warning": 2.0, "drop": 3.0}
    colour = colours.get(state, _mix(category_colour(category), QColor("black"), 0.25))
    pen = QPen(colour, widths.get(state, 1.2))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


@cache
def edge_pen(highlight: bool) -> QPen:
    """Edge line (thicker and blue while a drop would land on it)."""
    pen = QPen(DROP if highlight else EDGE, 3.2 if highlight else 1.4)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` towards `b`."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)
