"""The layer library dock: the catalog grouped by category, dragged onto the canvas to insert.

Double-click inserts after the selected layer, for users who prefer not to drag.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from designer.core.catalog import catalog_by_category
from designer.core.categories import CATEGORIES, colour_of
from designer.ui.mime import LAYER_KIND_MIME
from designer.ui.session import DesignSession


class LayerLibrary(QTreeWidget):
    """Catalog tree; items drag as LAYER_KIND_MIME carrying the kind name."""

    def __init__(self, session: DesignSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        for category, kinds in sorted(catalog_by_category().items()):
            parent_item = QTreeWidgetItem([CATEGORIES.get(category, ("", category))[1]])
            parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(parent_item)
            for kind in kinds:
                item = QTreeWidgetItem([kind.name])
                item.setData(0, Qt.ItemDataRole.UserRole, kind.name)
                item.setToolTip(0, f"{kind.description}\nDrag onto an edge of the canvas, or "
                                   "double-click to insert after the selected layer.")
                item.setForeground(0, QBrush(QColor(colour_of(kind.category)).darker(150)))
                parent_item.addChild(item)
        self.expandAll()
        self.itemDoubleClicked.connect(self._on_double_clicked)

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        data = QMimeData()
        kinds = [str(i.data(0, Qt.ItemDataRole.UserRole)) for i in items
                 if i.data(0, Qt.ItemDataRole.UserRole)]
        if kinds:
            data.setData(LAYER_KIND_MIME, kinds[0].encode())
            data.setText(kinds[0])
        return data

    def mimeTypes(self) -> list[str]:
        return [LAYER_KIND_MIME]

    def _on_double_clicked(self, item: QTreeWidgetItem) -> None:
        kind = item.data(0, Qt.ItemDataRole.UserRole)
        selection = [n for n in self.session.selection if self.session.design
                     and n in self.session.design.network]
        if not kind:
            return
        if len(selection) != 1:
            self.session.error_occurred.emit("Select one layer on the canvas first; the new "
                                             "layer is inserted after it.")
            return
        self.insert(str(kind), selection[0])

    def insert(self, kind: str, after: str) -> None:
        """Insert `kind` after layer `after` and select the new layer."""
        name = self.session.edit(lambda d: d.insert_layer(after, kind))
        if name:
            self.session.select([name])
