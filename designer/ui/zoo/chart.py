"""Bubble chart of the zoo: ImageNet top-1 against latency on this machine.

x is log10(latency) on a log-labelled axis (latencies span 1 ms to seconds); filled bubbles
are measured, hollow ones estimated from GFLOPs. Hovering names a bubble, clicking one emits
``model_clicked``; ``highlight`` rings the model selected in the table.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.ui.plot_style import style_axes
from designer.ui.zoo.chart_points import ChartPoint

_FILL = QColor(52, 120, 198, 150)
_EDGE = QColor(30, 70, 130)
_ESTIMATE_EDGE = QColor(120, 120, 120)
_RING = QColor(230, 110, 0)
#: colour-blind-friendly palette (Okabe-Ito, then Tableau) for the most common families
_PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0),
    (86, 180, 233), (148, 103, 189), (140, 86, 75), (188, 189, 34), (23, 190, 207))
_OTHER = (150, 150, 150)
#: families with their own colour (the rest are grey "other"): two legend lines in a dock
LEGEND_FAMILIES = 8


class LatencyAxis(pg.AxisItem):
    """The log10(latency) axis, labelled in plain milliseconds at 1-2-5 steps and thinned to
    the room it has, so labels never overlap (pyqtgraph's log mode labels every minor tick
    of a filtered, sub-decade range: "2·10¹3·10¹4·10¹…")."""

    MIN_LABEL_PX = 56

    def tickValues(self, minVal: float, maxVal: float,  # noqa: N803 - pyqtgraph's API
                   size: float) -> list[tuple[float, list[float]]]:
        low, high = min(minVal, maxVal), max(minVal, maxVal)
        room = max(2, int(size // self.MIN_LABEL_PX))
        for multiples in ((1, 2, 5), (1, 3), (1,)):
            ticks = [math.log10(m) + e for e in range(math.floor(low) - 1, math.ceil(high) + 1)
                     for m in multiples if low <= math.log10(m) + e <= high]
            if len(ticks) <= room:
                return [(1.0, ticks)]
        step = math.ceil(len(ticks) / room)
        return [(1.0, ticks[::step])]

    def tickStrings(self, values: list[float], scale: float,
                    spacing: float) -> list[str]:
        return [_ms_text(10 ** v) for v in values]


def family_colours(points: Sequence[ChartPoint]) -> dict[str, tuple[int, int, int]]:
    """A colour for each of the most common families among ``points`` (most common first)."""
    counts = Counter(p.family for p in points if p.family)
    return {family: _PALETTE[i] for i, (family, _n) in
            enumerate(counts.most_common(LEGEND_FAMILIES))}


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ms_text(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 1 else f"{ms:.2g}"


class ZooChart(QWidget):
    """pyqtgraph bubble chart with hover names and click-to-select."""

    model_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w",
                                  axisItems={"bottom": LatencyAxis(orientation="bottom")})
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "Latency on this CPU, log scale (ms)")
        item.setLabel("left", "ImageNet top-1 (%)")
        # no SI prefix: ticks are log10 values labelled in plain ms, and pyqtgraph would read
        # the log10 range 0..0.7 (1-5 ms) as milli and add a false "(x0.001)" to the label
        style_axes(item)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setMenuEnabled(False)
        item.layout.setContentsMargins(0, 4, 14, 0)  # room for the last tick label
        item.hideButtons()
        self.scatter = pg.ScatterPlotItem(hoverable=True, tip=self._tip, pxMode=True,
                                          hoverPen=pg.mkPen(_RING, width=2))
        self.scatter.sigClicked.connect(self._on_clicked)
        self.scatter.sigHovered.connect(self._on_hovered)
        self.ring = pg.ScatterPlotItem(pxMode=True, brush=None, pen=pg.mkPen(_RING, width=3))
        self.ring.setZValue(10)
        self.label = pg.TextItem(color=(20, 20, 20), fill=(255, 255, 255, 220),
                                 anchor=(0.0, 1.0))
        self.label.setZValue(20)
        self.label.hide()
        for child in (self.scatter, self.ring, self.label):
            item.addItem(child)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("color: #333; font-size: 11px")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555; font-size: 11px")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.note)
        self._points: dict[str, ChartPoint] = {}
        self._selected: str | None = None

    @property
    def points(self) -> dict[str, ChartPoint]:
        """The plotted points by model id."""
        return dict(self._points)

    def set_points(self, points: Sequence[ChartPoint], skipped: int = 0) -> None:
        """Replace the bubbles (big ones first so small ones stay clickable on top).

        Colour says the family (the most common ones; the rest share grey); a hollow dashed
        rim says the latency is estimated. Brushes and pens are shared objects and sizes are
        rounded to 2 px, so ~1,900 bubbles draw from a few cached symbols.
        """
        self._points = {p.name: p for p in points}
        ordered = sorted(points, key=lambda p: -p.size_mb)
        colours = family_colours(ordered)
        brushes = {family: pg.mkBrush(*colour, 150) for family, colour in colours.items()}
        other = pg.mkBrush(*_OTHER, 120)
        measured_pen = pg.mkPen(_EDGE, width=1)
        estimated_pen = pg.mkPen(_ESTIMATE_EDGE, width=1, style=Qt.PenStyle.DashLine)
        self.scatter.setData(
            x=[math.log10(p.latency_ms) for p in ordered], y=[p.top1 for p in ordered],
            size=[2 * round(p.diameter_px / 2) for p in ordered],
            brush=[brushes.get(p.family, other) for p in ordered],
            pen=[estimated_pen if p.estimated else measured_pen for p in ordered],
            data=[p.name for p in ordered])
        self.label.hide()
        self._update_note(points, skipped)
        self._update_legend(colours, ordered)
        self.highlight(self._selected)

    def _update_legend(self, colours: dict[str, tuple[int, int, int]],
                       points: Sequence[ChartPoint]) -> None:
        counts = Counter(p.family for p in points)
        parts = [f"<span style='color: rgb{colour}'>●</span>&nbsp;{_html(family)}&nbsp;"
                 f"({counts[family]})" for family, colour in colours.items()]
        rest = sum(n for family, n in counts.items() if family not in colours)
        if rest:
            parts.append(f"<span style='color: rgb{_OTHER}'>●</span>&nbsp;other&nbsp;({rest})")
        self.legend.setText(" &nbsp; ".join(parts))

    def _update_note(self, points: Sequence[ChartPoint], skipped: int) -> None:
        measured = sum(not p.estimated for p in points)
        parts = [f"{measured}/{len(points)} measured", "dashed rim = estimated from GFLOPs",
                 "area ∝ weights size"]
        if skipped:
            parts.append(f"{skipped} without published top-1 or GFLOPs not shown")
        self.note.setText(" · ".join(parts))

    def highlight(self, name: str | None) -> None:
        """Ring the bubble of ``name`` (None clears)."""
        self._selected = name
        point = self._points.get(name) if name else None
        if point is None:
            self.ring.setData([])
            return
        self.ring.setData(spots=[{"pos": (math.log10(point.latency_ms), point.top1),
                                  "size": point.diameter_px + 6, "brush": None}])

    def click_model(self, name: str) -> None:
        """Act as if the user clicked the bubble of ``name`` (tests, keyboard access)."""
        if name in self._points:
            self.model_clicked.emit(name)

    def scene_pos_of(self, name: str) -> QPointF:
        """Where the bubble of ``name`` is drawn, in scene coordinates (for tests)."""
        point = self._points[name]
        view = self.plot.getPlotItem().getViewBox()
        return view.mapViewToScene(QPointF(math.log10(point.latency_ms), point.top1))

    def _tip(self, x: float, y: float, data: object) -> str:
        point = self._points.get(str(data))
        if point is None:
            return ""
        kind = "estimated" if point.estimated else "measured"
        return (f"{point.label}\n{point.latency_ms:.1f} ms ({kind}), top-1 {point.top1:.1f} %, "
                f"{point.size_mb:.0f} MB")

    def _on_clicked(self, _item: object, spots: Sequence[Any], _event: object) -> None:
        if len(spots) > 0:
            # pyqtgraph lists the topmost (last drawn, so smallest) bubble first
            self.model_clicked.emit(str(spots[0].data()))

    def _on_hovered(self, _item: object, spots: Sequence[Any], _event: object) -> None:
        if len(spots) == 0:
            self.label.hide()
            return
        point = self._points.get(str(spots[0].data()))
        if point is None:
            return
        self.label.setText(point.label)
        self.label.setPos(math.log10(point.latency_ms), point.top1)
        self.label.show()
