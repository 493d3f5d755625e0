"""Filtering (text, family) and numeric sorting for the zoo table.

Unknown values (no top-1 for a backbone, latency not measured yet) sort after every known
value in ascending order, so "fastest first" lists measured models at the top.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from designer.ui.zoo.table_model import ENTRY_ROLE, SORT_ROLE, ZooTableModel
from designer.zoo.entry import ZooEntry

ALL_FAMILIES = ""


class ZooFilterProxy(QSortFilterProxyModel):
    """Shows the entries whose name or family contains the text, in the chosen family."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._family = ALL_FAMILIES
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        """Match ``text`` (case-insensitive) in the model's id, display name or family."""
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange()

    def set_family(self, family: str) -> None:
        """Only this family (``ALL_FAMILIES`` for every one)."""
        self.beginFilterChange()
        self._family = family
        self.endFilterChange()

    def visible_names(self) -> list[str]:
        """Model ids of the rows shown, top to bottom."""
        return [self.entry_at(row).name for row in range(self.rowCount())]

    def entry_at(self, row: int) -> ZooEntry:
        """The entry in proxy ``row``."""
        entry = self.data(self.index(row, 0), ENTRY_ROLE)
        assert isinstance(entry, ZooEntry)
        return entry

    def proxy_row_of(self, name: str) -> int:
        """The proxy row showing ``name``, or -1 when it is filtered out."""
        source = self.sourceModel()
        if not isinstance(source, ZooTableModel) or (row := source.row_of(name)) < 0:
            return -1
        return self.mapFromSource(source.index(row, 0)).row()

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        entry = self.sourceModel().index(source_row, 0, source_parent).data(ENTRY_ROLE)
        if not isinstance(entry, ZooEntry):
            return False
        if self._family and entry.family != self._family:
            return False
        haystack = f"{entry.name} {entry.display_name} {entry.family}".casefold()
        return self._text in haystack

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return a is not None and b is None  # known values before unknown ones
        if a == b:  # stable, readable tie-break: by name
            return str(left.sibling(left.row(), 0).data()) < str(right.sibling(right.row(), 0).data())
        return bool(a < b)
