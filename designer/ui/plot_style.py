"""The look every pyqtgraph plot of the app shares: dark-grey axes, ticks and axis titles."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor

#: axis lines, tick labels, titles and legend text
AXIS = QColor(40, 40, 40)


def style_axes(item: pg.PlotItem, *, si_prefix: bool = False, colour_titles: bool = True) -> None:
    """Colour the bottom and left axes. ``si_prefix`` off by default: pyqtgraph's automatic
    "(x0.001)" beside the ticks mislabels log axes and helps nobody on linear ones."""
    for side in ("bottom", "left"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(AXIS))
        axis.setTextPen(pg.mkPen(AXIS))
        if colour_titles:
            axis.label.setDefaultTextColor(AXIS)
        if not si_prefix:
            axis.enableAutoSIPrefix(False)
