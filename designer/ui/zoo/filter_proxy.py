"""Filtering (text, family) and numeric sorting for the zoo table.

Unknown values (no top-1 for a backbone, latency not measured yet) sort after every known
value in ascending order, so "fastest first" lists measured models at the top.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from designer.ui.zoo.table_model import ENTRY_ROLE, SORT_ROLE, Column, ZooTableModel
from designer.zoo.entry import ZooEntry

ALL_FAMILIES = ""


class ZooFilterProxy(QSortFilterProxyModel):
    """Shows the entries whose name or family contains the text, in the chosen family."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._family = ALL_FAMILIES
        self._by_name = False
        self._limits: tuple[str, str, float, float] = ("", "", 0.0, 0.0)

        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        """Match ``text`` (case-insensitive) in the model's id, display name or family."""
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange()

    def set_limits(self, *, source: str = "", license: str = "", min_top1: float = 0.0,
                   max_params_m: float = 0.0) -> None:
        """Only this source / licence ("" for all), top-1 at least ``min_top1`` % and at most
        ``max_params_m`` million parameters (0 for no limit; unknown values fail a limit)."""
        self.beginFilterChange()
        self._limits = (source, license, min_top1, max_params_m)
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
        source = self.sourceModel()
        if isinstance(source, ZooTableModel):  # no data() round trip: called for every row
            return source.entry(self.mapToSource(self.index(row, 0)).row())
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
        source = self.sourceModel()
        entry = source.entry(source_row) if isinstance(source, ZooTableModel) else \
            source.index(source_row, 0, source_parent).data(ENTRY_ROLE)
        if not isinstance(entry, ZooEntry):
            return False
        if self._family and entry.family != self._family:
            return False
        source_name, license_id, min_top1, max_params = self._limits
        if (source_name and entry.source != source_name) \
                or (license_id and entry.license != license_id) \
                or (min_top1 and (entry.acc1 is None or entry.acc1 < min_top1)) \
                or (max_params and (entry.num_params is None
                                    or entry.num_params > max_params * 1e6)):
            return False
        haystack = f"{entry.name} {entry.display_name} {entry.family}".casefold()
        return self._text in haystack

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort; by name ascending is the source model's own order, so no sort is run then
        (sorting ~1,900 rows through Python ``lessThan`` costs a visible fraction of a second)."""
        source = self.sourceModel()
        if column == Column.NAME and order == Qt.SortOrder.AscendingOrder \
                and isinstance(source, ZooTableModel):
            super().sort(-1)  # the source order: already by name
            self._by_name = True
            return
        self._by_name = False
        super().sort(column, order)

    def sorted_by_name(self) -> bool:
        """True while the rows are shown in the source's by-name order (see ``sort``)."""
        return self._by_name

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        source = self.sourceModel()
        l_row, r_row, column = left.row(), right.row(), left.column()
        if isinstance(source, ZooTableModel):  # ~1,900 rows: skip the data() round trips
            a, b = source.sort_value(l_row, column), source.sort_value(r_row, column)
        else:
            a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return a is not None and b is None  # known values before unknown ones
        if a == b:  # stable, readable tie-break: by name
            return str(left.sibling(l_row, 0).data()) < str(right.sibling(r_row, 0).data())
        return bool(a < b)
