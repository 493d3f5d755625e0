"""Read-only tables that sort numbers as numbers (not as the text "10" < "9")."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

#: the role the proxy sorts by: a float for numbers, lower-case text otherwise
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: missing numbers sort below every real value
MISSING = -math.inf


def text_item(text: str, tooltip: str = "") -> QStandardItem:
    """A text cell that sorts case-insensitively."""
    item = QStandardItem(text)
    item.setData(text.lower(), SORT_ROLE)
    item.setEditable(False)
    if tooltip:
        item.setToolTip(tooltip)
    return item


def number_item(value: float | None, text: str | None = None, tooltip: str = "") -> QStandardItem:
    """A right-aligned number cell; None shows as a dash and sorts last (ascending: first)."""
    shown = "—" if value is None else (text if text is not None else f"{value:g}")
    item = QStandardItem(shown)
    item.setData(MISSING if value is None else float(value), SORT_ROLE)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setEditable(False)
    if tooltip:
        item.setToolTip(tooltip)
    return item


class SortableTable(QTableView):
    """A QTableView over a QStandardItemModel behind a numeric-aware sort proxy."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None,
                 stretch_column: int = 0) -> None:
        super().__init__(parent)
        self.source = QStandardItemModel(0, len(headers), self)
        self.source.setHorizontalHeaderLabels(list(headers))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # rows as given until a header click
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Sequence[Sequence[QStandardItem]]) -> None:
        """Replace the contents, keeping the user's sort column and order."""
        self.source.removeRows(0, self.source.rowCount())
        for row in rows:
            self.source.appendRow(list(row))

    def column_values(self, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> list[object]:
        """What each row shows in `column`, top to bottom as displayed (after sorting)."""
        return [self.proxy.index(r, column).data(role) for r in range(self.proxy.rowCount())]
