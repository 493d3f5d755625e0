"""The model finder's table (one row per probed model), shared by the finder dialog and
Compare ▸ Model finder; plus the opener for a row (model for the result's classes, probe head).

Headers are short, with the full meaning in their tooltips, and the model column elides, so
the seven columns (Pareto star included) fit without horizontal scrolling at 1366 px wide.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from designer.core.errors import UserError
from designer.search.finder import FinderResult, ProbeResult, open_candidate, probe_head
from designer.surgery.design import Design

#: (header, tooltip) per column
COLUMNS = (
    ("Model", "The model; \"(random)\": the same architecture from random weights, a control"),
    ("Probe acc", "Accuracy of a linear probe on the model's frozen features, cross-validated "
                  "on your training + validation images (± the folds' spread)"),
    ("Test", "The probe's accuracy on your held-out test images"),
    ("ms", "Milliseconds per image on this CPU (batch 1, at the probe's image size)"),
    ("MB", "Size of the weights in MB (float32)"),
    ("ImageNet", "Top-1 accuracy on ImageNet as published: compare it with the probe's "
                 "accuracy on your data"),
    ("★", "On the Pareto front: no other model is both faster and more accurate on your data"),
)
FRONT_COLOUR = QColor(255, 236, 214)
Opener = Callable[[Callable[[float, str], None], Callable[[], bool]], Design]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


class FinderTable(QTableWidget):
    """A finder result's rows, best probe first, Pareto rows tinted and starred."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels([title for title, _ in COLUMNS])
        for column, (_title, tip) in enumerate(COLUMNS):
            item = self.horizontalHeaderItem(column)
            if item is not None:
                item.setToolTip(tip)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the model elides
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.setMinimumWidth(360)

    def show_result(self, result: FinderResult | None) -> list[ProbeResult]:
        """Fill the table; returns the rows in table order (best probe first)."""
        rows = result.ranked() if result is not None else []
        front = {id(r) for r in result.pareto()} if result is not None else set()
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            name = row.model.replace("_bundled", "") + ("" if row.weights == "pretrained"
                                                        else " (random)")
            cells = (name, f"{pct(row.cv_accuracy)} ± {100 * row.cv_std:.1f}",
                     pct(row.test_accuracy), f"{row.latency_ms:.1f}", f"{row.size_mb:.1f}",
                     "—" if row.imagenet_top1 is None else f"{row.imagenet_top1:.1f} %",
                     "★" if id(row) in front else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                else:
                    item.setToolTip(f"{row.display_name} ({row.family}), "
                                    f"{row.feature_dim} features, probed in {row.seconds:.0f} s")
                if id(row) in front:
                    item.setBackground(FRONT_COLOUR)
                item.setData(Qt.ItemDataRole.UserRole, row)
                self.setItem(index, column, item)
        if rows:
            self.selectRow(0)
        return rows

    def selected(self) -> ProbeResult | None:
        items = self.selectedItems()
        value = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        return value if isinstance(value, ProbeResult) else None

    def select(self, row: ProbeResult) -> None:
        """Select the table row of ``row`` (e.g. clicked in the chart)."""
        for index in range(self.rowCount()):
            item = self.item(index, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) is row:
                self.selectRow(index)


def row_opener(result: FinderResult, row: ProbeResult) -> tuple[Opener, str]:
    """What opens ``row``'s model for the result's classes (its probe as the new head's start,
    when readable) and the line to show meanwhile."""
    note = ""
    try:
        head = probe_head(result, row)
    except UserError as error:
        head, note = None, f" ({error})"
    classes, size = result.classes, result.image_size

    def opener(_progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> Design:
        return open_candidate(row.candidate, classes, image_size=size, head=head,
                              cancel=cancelled)

    return opener, (f"Opening {row.label} for {len(classes)} classes"
                    + (" (head from the probe)" if head is not None else note) + "…")
