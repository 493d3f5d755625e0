"""The metrics table (sortable, one row per checked run) and the config difference table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QStandardItem
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from designer.project.run_compare import config_diff, run_metrics
from designer.project.runs import RunRecord
from designer.ui.compare.colours import RunColours
from designer.ui.evaluation.sortable import SortableTable, number_item, text_item
from designer.ui.formatting import count_text

METRIC_COLUMNS = ("Run", "Best acc", "Final acc", "Best loss", "Final loss", "Eval acc",
                  "Time (s)", "Params", "Trainable", "Latency (ms)")
_TIPS = {
    "Best acc": "Best validation accuracy during training.",
    "Final acc": "Validation accuracy at the end of training.",
    "Best loss": "Lowest validation loss during training.",
    "Final loss": "Validation loss at the end of training.",
    "Eval acc": "Accuracy on the split the run was evaluated on after training (test, or "
                "validation when there was no test split).",
    "Time (s)": "Wall-clock seconds the training took (summary of the run).",
    "Latency (ms)": "Median CPU time for one image through the trained model, measured after "
                    "training.",
}


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


class RunMetricsTable(SortableTable):
    """Best/final validation accuracy and loss, evaluation accuracy, time, size and latency."""

    def __init__(self, colours: RunColours, parent: QWidget | None = None) -> None:
        super().__init__(METRIC_COLUMNS, parent)
        self._colours = colours
        for column, name in enumerate(METRIC_COLUMNS):
            if name in _TIPS:
                self.source.horizontalHeaderItem(column).setToolTip(_TIPS[name])

    def set_runs(self, runs: Sequence[RunRecord]) -> None:
        self.set_rows([self._row(r) for r in runs])

    def _row(self, run: RunRecord) -> list[QStandardItem]:
        m = run_metrics(run)
        name = text_item(run.name, str(run.run_dir))
        name.setIcon(self._colours.icon(run))
        split = f" ({m.eval_split})" if m.eval_split else ""
        latency = number_item(m.latency_ms, None if m.latency_ms is None else f"{m.latency_ms:.2f}")
        spread = run.stats.latency_spread_ms
        latency.setToolTip("" if m.latency_ms is None else
                           f"median of repeated timings, ± {spread:.2f} ms timing noise; runs "
                           "within each other's noise count as equally fast"
                           if spread is not None else "one timing (older run, noise unknown)")
        return [
            name,
            number_item(m.best_val_acc, _pct(m.best_val_acc)),
            number_item(m.final_val_acc, _pct(m.final_val_acc)),
            number_item(m.best_val_loss, None if m.best_val_loss is None else f"{m.best_val_loss:.4f}"),
            number_item(m.final_val_loss,
                        None if m.final_val_loss is None else f"{m.final_val_loss:.4f}"),
            number_item(m.eval_acc, None if m.eval_acc is None else f"{m.eval_acc:.1%}{split}"),
            number_item(m.train_seconds, None if m.train_seconds is None else f"{m.train_seconds:.1f}"),
            number_item(m.params, None if m.params is None else count_text(m.params)),
            number_item(m.trainable_params,
                        None if m.trainable_params is None else count_text(m.trainable_params)),
            latency,
        ]


class ConfigDiffTable(QTableWidget):
    """Rows: settings that differ; columns: the checked runs. Identical settings are left out."""

    def __init__(self, colours: RunColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = colours
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.rows: list[tuple[str, list[str]]] = []

    def set_runs(self, runs: Sequence[RunRecord]) -> str:
        """Fill the table; returns a note for the user ('' when there are differences)."""
        self.rows = config_diff(runs)
        self.clear()
        self.setColumnCount(len(runs) if self.rows else 0)
        self.setRowCount(len(self.rows))
        for column, run in enumerate(runs if self.rows else []):
            header = QTableWidgetItem(self._colours.icon(run), run.name)
            header.setToolTip(str(run.run_dir))
            self.setHorizontalHeaderItem(column, header)
        for row, (key, values) in enumerate(self.rows):
            self.setVerticalHeaderItem(row, QTableWidgetItem(key))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{key} = {value}")
                self.setItem(row, column, item)
        if len(runs) < 2:
            return "Check two or more runs to see how their settings differ."
        if not self.rows:
            return "The checked runs share every setting."
        return f"{len(self.rows)} setting(s) differ; settings shared by all checked runs are hidden."

    def keys(self) -> list[str]:
        """The settings listed, top to bottom."""
        return [key for key, _ in self.rows]
