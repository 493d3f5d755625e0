"""Images per class and split: a stacked bar chart, a counts table and an imbalance warning."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.data.health_text import IMBALANCE_WARN
from designer.project.data_config import PreparedData
from designer.ui.plot_style import AXIS, style_axes

SPLITS = ("train", "val", "test")
SPLIT_LABELS = {"train": "Training", "val": "Validation", "test": "Test"}
SPLIT_COLOURS = {"train": QColor(52, 120, 198), "val": QColor(240, 150, 40),
                 "test": QColor(90, 170, 90)}
Counts = dict[str, dict[str, int]]


def _short(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


class ClassChart(pg.PlotWidget):
    """Stacked bars: one per class, a segment per split, class names under the bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        item = self.getPlotItem()
        item.setLabel("left", "Images")
        style_axes(item, si_prefix=True)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        self.legend = item.addLegend(offset=(-10, 4), labelTextColor=AXIS, colCount=3,
                                     brush=pg.mkBrush(255, 255, 255, 220))
        #: split -> its bar item (tests read the heights)
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.classes: list[str] = []

    def set_counts(self, classes: list[str], counts: Counts) -> None:
        """Redraw for these classes and split -> class -> count."""
        item = self.getPlotItem()
        for bar in self.bars.values():
            item.removeItem(bar)
        self.legend.clear()
        self.bars = {}
        self.classes = list(classes)
        x = list(range(len(classes)))
        base = [0] * len(classes)
        for split in SPLITS:
            heights = [counts.get(split, {}).get(c, 0) for c in classes]
            if not any(heights) and (split != "train" or not classes):
                continue
            colour = SPLIT_COLOURS[split]
            bar = pg.BarGraphItem(x=x, height=heights, y0=list(base), width=0.6,
                                  brush=pg.mkBrush(colour), pen=pg.mkPen(colour.darker(130)),
                                  name=SPLIT_LABELS[split])
            item.addItem(bar)
            self.bars[split] = bar
            base = [b + h for b, h in zip(base, heights, strict=True)]
        item.getAxis("bottom").setTicks([[(i, _short(c)) for i, c in enumerate(classes)]])
        top = max(base, default=1) or 1
        item.setXRange(-0.6, max(len(classes) - 0.4, 0.6), padding=0)
        item.setYRange(0, top * 1.15 + 1, padding=0)  # room for the legend row

    def heights(self, split: str) -> list[int]:
        """Bar heights of one split in class order (0 for a split with no bars)."""
        bar = self.bars.get(split)
        if bar is None:
            return [0] * len(self.classes)
        return [int(h) for h in bar.opts["height"]]


class CountsTable(QTableWidget):
    """Class rows, split columns, totals in the last row and column."""

    HEADERS = ("Class", "Training", "Validation", "Test", "Total")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(self.HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def set_counts(self, classes: list[str], counts: Counts) -> None:
        """Fill the table (a Total row at the bottom)."""
        rows = [(c, [counts.get(s, {}).get(c, 0) for s in SPLITS]) for c in classes]
        rows.append(("Total", [sum(r[1][i] for r in rows) for i in range(len(SPLITS))]))
        self.setRowCount(len(rows))
        for r, (name, values) in enumerate(rows):
            texts = [name, *(str(v) for v in values), str(sum(values))]
            for c, text in enumerate(texts):
                cell = QTableWidgetItem(text)
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r == len(rows) - 1:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                self.setItem(r, c, cell)

    def row_counts(self, name: str) -> list[int]:
        """Training, validation, test, total of one class (or "Total")."""
        for r in range(self.rowCount()):
            cells = [self.item(r, c) for c in range(len(self.HEADERS))]
            texts = [cell.text() if cell is not None else "" for cell in cells]
            if texts[0] == name:
                return [int(t) for t in texts[1:]]
        raise KeyError(name)


def imbalance_text(classes: list[str], counts: Counts) -> str:
    """A warning when the largest class has IMBALANCE_WARN times the images of the smallest."""
    totals = {c: sum(counts.get(s, {}).get(c, 0) for s in SPLITS) for c in classes}
    if len(totals) < 2:
        return ""
    big = max(totals, key=lambda c: totals[c])
    small = min(totals, key=lambda c: totals[c])
    if totals[small] and totals[big] / totals[small] < IMBALANCE_WARN:
        return ""
    ratio = "∞" if not totals[small] else f"{totals[big] / totals[small]:.1f}×"
    return (f"⚠ Imbalanced classes: {small!r} has {totals[small]} images, {big!r} has "
            f"{totals[big]} ({ratio}). The model may learn to ignore small classes and accuracy "
            "can look better than it is; add images to the small classes if you can.")


class OverviewTab(QWidget):
    """Summary line, bar chart, table and imbalance warning of the prepared data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("No data prepared yet.")
        self.summary.setWordWrap(True)
        self.chart = ClassChart()
        self.chart.setMinimumHeight(180)
        self.table = CountsTable()
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background: #fff4d6; border: 1px solid #e0c070; "
                                   "border-radius: 3px; padding: 4px; color: #6a4b00")
        self.warning.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart, 3)
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 2)

    def show_data(self, data: PreparedData | None) -> None:
        """Show the counts of `data` (None clears)."""
        if data is None:
            self.summary.setText("No data prepared yet.")
            self.chart.set_counts([], {})
            self.table.set_counts([], {})
            self.warning.hide()
            return
        counts = data.manifest.counts()
        classes = data.classes
        per_split = {s: sum(counts[s].values()) for s in SPLITS}
        self.summary.setText(
            f"<b>{len(classes)} classes</b>, {sum(per_split.values())} images: "
            + ", ".join(f"{SPLIT_LABELS[s].lower()} {per_split[s]}" for s in SPLITS))
        self.chart.set_counts(classes, counts)
        self.table.set_counts(classes, counts)
        text = imbalance_text(classes, counts)
        self.warning.setText(text)
        self.warning.setVisible(bool(text))
