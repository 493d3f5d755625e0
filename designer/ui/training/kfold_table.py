"""A cross-validation's result as a table: one row per metric, mean ± std, then every fold.

Shown on the Train page when a cross-validation ends and on Compare's "Cross-validation" tab.
The numbers are the summary's (designer.project.kfold), which reads each fold run's own records.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.project.kfold import METRICS, KFoldSummary

#: metrics shown as percentages
PERCENT = {"final_val_acc", "best_val_acc", "test_acc"}
#: the value behind a cell (tests compare it with the runs' records)
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1
_LABELS = {"final_val_acc": "Validation accuracy (final)",
           "best_val_acc": "Validation accuracy (best)", "val_loss": "Validation loss (final)",
           "test_acc": "Test accuracy", "train_seconds": "Training time"}


def value_text(key: str, value: float | None) -> str:
    """85.3 % for accuracies, 0.412 for a loss, 12.3 s for a time; — when not measured."""
    if value is None:
        return "—"
    if key in PERCENT:
        return f"{100 * value:.1f} %"
    if key == "train_seconds":
        return f"{value:.1f} s"
    return f"{value:.3f}"


def spread_text(key: str, mean: float | None, std: float | None) -> str:
    """'85.3 ± 5.8 %' (the ± in the metric's unit); just the mean when one fold counted."""
    if mean is None:
        return "—"
    if std is None:
        return value_text(key, mean)
    if key in PERCENT:
        return f"{100 * mean:.1f} ± {100 * std:.1f} %"
    if key == "train_seconds":
        return f"{mean:.1f} ± {std:.1f} s"
    return f"{mean:.3f} ± {std:.3f}"


def summary_line(summary: KFoldSummary) -> str:
    """'resnet18: 5 of 5 folds completed' (+ what was not counted)."""
    done = len(summary.completed)
    line = f"<b>{summary.name}</b>: {done} of {summary.k} folds completed"
    if not summary.complete:
        left_out = [f for f in summary.folds if f.status != "completed"]
        line += " — stopped early"
        if left_out:
            line += "; " + ", ".join(f"fold {f.fold} ({f.status}) is not counted"
                                     for f in left_out)
    return line + ". Mean ± standard deviation over the completed folds."


class KFoldTable(QWidget):
    """A title line and the table (rows: metrics; columns: mean ± std, fold 1 … fold K)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No cross-validation yet.")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self.summary: KFoldSummary | None = None

    def show_summary(self, summary: KFoldSummary | None) -> None:
        """Fill the table from `summary` (None clears it)."""
        self.summary = summary
        if summary is None:
            self.title.setText("No cross-validation yet.")
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        self.title.setText(summary_line(summary))
        folds = summary.completed
        spreads = summary.metrics
        headers = ["Metric", "Mean ± std", *(f"Fold {f.fold}" for f in folds)]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(spreads))
        for row, (key, spread) in enumerate(spreads.items()):
            self._cell(row, 0, _LABELS.get(key, METRICS[key]), None, left=True)
            self._cell(row, 1, spread_text(key, spread.mean, spread.std), spread.mean, bold=True)
            for column, fold in enumerate(folds, start=2):
                value = fold.metrics.get(key)
                self._cell(row, column, value_text(key, value), value)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)

    def _cell(self, row: int, column: int, text: str, value: float | None, *,
              left: bool = False, bold: bool = False) -> None:
        item = QTableWidgetItem(text)
        item.setData(VALUE_ROLE, value)
        align = Qt.AlignmentFlag.AlignLeft if left else Qt.AlignmentFlag.AlignRight
        item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        if bold:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.table.setItem(row, column, item)

    def row_values(self, key: str) -> list[float | None]:
        """The mean and the folds' values of metric `key` as shown (tests)."""
        summary = self.summary
        if summary is None:
            raise KeyError(key)
        row = list(summary.metrics).index(key)
        return [self.table.item(row, c).data(VALUE_ROLE)  # type: ignore[union-attr]
                for c in range(1, self.table.columnCount())]
