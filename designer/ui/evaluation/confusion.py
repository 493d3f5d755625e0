"""Confusion-matrix heatmap: counts in coloured cells, true classes down, predictions across.

Cells are coloured by their share of the row (the true class), blue on the diagonal (right)
and red off it (wrong), so the worst confusions stand out whatever the class sizes. Clicking a
cell emits ``cell_clicked(true, predicted)``; the page shows that cell's images.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

_RIGHT = (33, 102, 172)
_WRONG = (200, 60, 45)
_SELECTED = QColor(240, 140, 0)
#: up to this many classes the column headers show names, above it class numbers
NAMED_COLUMNS = 6
Index = QModelIndex | QPersistentModelIndex


def cell_colour(share: float, diagonal: bool) -> QColor:
    """White for 0, the full hue for the whole row."""
    r, g, b = _RIGHT if diagonal else _WRONG
    t = max(0.0, min(1.0, share)) ** 0.7  # lift small shares so single mistakes are visible
    return QColor(round(255 + (r - 255) * t), round(255 + (g - 255) * t), round(255 + (b - 255) * t))


class ConfusionModel(QAbstractTableModel):
    """``matrix[i][j]``: samples of true class i predicted as j."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.classes: list[str] = []
        self.matrix: list[list[int]] = []

    def set_matrix(self, classes: list[str], matrix: list[list[int]]) -> None:
        self.beginResetModel()
        self.classes, self.matrix = list(classes), [list(r) for r in matrix]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.matrix)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.classes)

    def share(self, row: int, column: int) -> float:
        total = sum(self.matrix[row])
        return self.matrix[row][column] / total if total else 0.0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        count = self.matrix[row][column]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(count)
        if role == Qt.ItemDataRole.BackgroundRole:
            return cell_colour(self.share(row, column), row == column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if count == 0:
                return QColor(170, 170, 170)
            return QColor("white") if self.share(row, column) > 0.5 else QColor(20, 20, 20)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"True {self.classes[row]}, predicted {self.classes[column]}: {count} image(s) "
                    f"({self.share(row, column):.0%} of {self.classes[row]}). Click to see them.")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not 0 <= section < len(self.classes):
            return None
        name = self.classes[section]
        numbered = len(self.classes) > NAMED_COLUMNS
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return str(section) if numbered else name
            return f"{section}  {name}" if numbered else name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{section}: {name}"
        return None


class _CellDelegate(QStyledItemDelegate):
    """Paints the heatmap colour even on the selected cell, with an orange frame instead."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        rect: QRect = option.rect
        painter.fillRect(rect, index.data(Qt.ItemDataRole.BackgroundRole))
        painter.setPen(index.data(Qt.ItemDataRole.ForegroundRole))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(index.data()))
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(_SELECTED, 3))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        painter.restore()


class _VerticalLabel(QWidget):
    """An axis title written bottom-to-top."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self.setFixedWidth(self.fontMetrics().height() + 6)
        self.setMinimumHeight(self.fontMetrics().horizontalAdvance(text) + 8)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(QColor(60, 60, 60))
        painter.translate(0, self.height())
        painter.rotate(-90)
        painter.drawText(QRect(0, 0, self.height(), self.width()), Qt.AlignmentFlag.AlignCenter,
                         self._text)


class ConfusionMatrixView(QWidget):
    """The heatmap with its axis titles; ``cell_clicked(true, predicted)`` on a click."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ConfusionModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(_CellDelegate(self.table))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setCornerButtonEnabled(False)
        self.table.setShowGrid(True)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(13)
            header.setHighlightSections(True)
        self.table.clicked.connect(lambda i: self.cell_clicked.emit(i.row(), i.column()))
        top = QLabel("Predicted class →")
        top.setAlignment(Qt.AlignmentFlag.AlignCenter)
        top.setStyleSheet("color: #3c3c3c")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(top, 0, 1)
        layout.addWidget(_VerticalLabel("True class"), 1, 0)
        layout.addWidget(self.table, 1, 1)

    def set_matrix(self, classes: list[str], matrix: list[list[int]]) -> None:
        """Show a new matrix (rows: true classes, columns: predictions)."""
        self.model.set_matrix(classes, matrix)
        font = self.table.font()
        font.setPointSizeF(7.5 if len(classes) > 12 else 9.5)
        self.table.horizontalHeader().setFont(font)
        self.table.verticalHeader().setFont(font)
        self.table.setFont(font)

    def select_cell(self, true: int, predicted: int) -> None:
        """Highlight a cell (as a click would) without emitting."""
        self.table.setCurrentIndex(self.model.index(true, predicted))

    def cell_rect(self, true: int, predicted: int) -> QRect:
        """Where a cell is drawn, in the table viewport's coordinates (for tests and tips)."""
        return self.table.visualRect(self.model.index(true, predicted))
