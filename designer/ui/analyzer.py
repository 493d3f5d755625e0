"""The analyzer dock: every layer's shape, params, MACs and trainability, plus the issue list.

Clicking an issue or a row selects that layer (the canvas centres it). Fed by
`session.analysis_ready`, which arrives from a background analysis after each edit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.core.analysis import NetworkAnalysis
from designer.core.network import Network
from designer.ui.formatting import count_text
from designer.ui.session import DesignSession

_HEADERS = ("#", "Layer", "Kind", "Output", "Params", "MACs", "Trainable")
_Index = QModelIndex | QPersistentModelIndex


class LayerTableModel(QAbstractTableModel):
    """Rows = visible layers of the document with their analysed numbers."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[Any, ...]] = []
        self._errors: set[int] = set()

    def set_data(self, network: Network | None, analysis: NetworkAnalysis | None) -> None:
        """Replace the rows (after an edit or a new analysis)."""
        self.beginResetModel()
        self._rows, self._errors = [], set()
        if network is not None:
            for layer in network:
                if layer.plumbing:
                    continue
                info = analysis.layers.get(layer.name) if analysis else None
                trainable = "—" if layer.num_params == 0 else ("no" if layer.frozen else "yes")
                if info is not None and info.error:
                    self._errors.add(len(self._rows))
                self._rows.append((len(self._rows) + 1, layer.name, layer.kind,
                                   info.shape_text if info else "",
                                   info.params if info else layer.num_params,
                                   info.macs if info else 0, trainable))
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        value = row[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return count_text(value) if index.column() in (4, 5) else str(value)
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return value
        if role == Qt.ItemDataRole.ForegroundRole and index.row() in self._errors:
            return QBrush(QColor("#c0392b"))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def layer_at(self, row: int) -> str:
        """Layer name of a source row."""
        return str(self._rows[row][1])


class AnalyzerPanel(QWidget):
    """Layer table with a filter, and the issues found, side by side."""

    def __init__(self, session: DesignSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = LayerTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(placeholderText="Filter layers…")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # execution order
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._on_row_clicked)
        self.issues = QListWidget()
        self.issues.itemClicked.connect(self._on_issue_clicked)
        self.issues_title = QLabel("Issues")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.filter)
        left_layout.addWidget(self.table)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.issues_title)
        right_layout.addWidget(self.issues)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)
        session.analysis_ready.connect(self._on_analysis_ready)
        session.document_changed.connect(self._on_analysis_ready)
        session.design_replaced.connect(self._on_analysis_ready)

    def _on_analysis_ready(self, *_args: object) -> None:
        design = self.session.design
        analysis = self.session.analysis
        self.model.set_data(design.network if design else None, analysis)
        self.table.resizeColumnsToContents()
        self.issues.clear()
        found = list(analysis.issues) if analysis is not None else []
        visible = [i for i in found if design is None or i.layer not in design.network
                   or not design.network[i.layer].plumbing]
        for issue in visible:
            item = QListWidgetItem(f"{'⛔' if issue.severity == 'error' else '⚠'}  {issue.message}")
            item.setData(Qt.ItemDataRole.UserRole, issue.layer)
            item.setToolTip(issue.message)
            self.issues.addItem(item)
        errors = sum(1 for i in visible if i.severity == "error")
        self.issues_title.setText(f"Issues: {errors} error(s), {len(visible) - errors} "
                                  "warning(s)" if visible else "Issues: none")

    def _on_issue_clicked(self, item: QListWidgetItem) -> None:
        self.session.select([str(item.data(Qt.ItemDataRole.UserRole))])

    def _on_row_clicked(self, index: QModelIndex) -> None:
        self.session.select([self.model.layer_at(self.proxy.mapToSource(index).row())])
