"""Compare ▸ Model finder: every finder result saved in the project (from the finder dialog or
`netdesigner find-model PROJECT`), as the same table and chart, with a row one click from the
Design page. Re-read whenever the tab is shown, so results a command wrote appear."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from designer.search.finder import FinderResult, load_results
from designer.ui.search.finder_chart import FinderChart
from designer.ui.search.finder_table import FinderTable, row_opener
from designer.ui.workspace import Workspace


def describe(result: FinderResult) -> str:
    """One line per saved result for the chooser."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(result.created))
    size = f"{result.image_size} px" if result.image_size else "each model's own size"
    return (f"{when} · {len(result.results)} model(s) · {result.data_source} · "
            f"{len(result.classes)} classes · {size}")


class FinderPanel(QWidget):
    """The project's saved finder results: pick one, read it, open a model from it."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.results: list[FinderResult] = []
        self.chooser = QComboBox()
        self.chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.refresh_button = QPushButton("Refresh")
        self.open_button = QPushButton("Open for my classes")
        self.open_button.setToolTip("Open the selected model on the Design page with its final "
                                    "layer replaced for the result's classes and the backbone "
                                    "frozen; the new head starts from the probe's weights")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = FinderTable()
        self.chart = FinderChart()
        self.chart.clicked.connect(self.table.select)
        top = QHBoxLayout()
        top.addWidget(QLabel("Finder result:"))
        top.addWidget(self.chooser, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.open_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([620, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        self.chooser.activated.connect(self._show_index)
        self.refresh_button.clicked.connect(self.reload)
        self.open_button.clicked.connect(self.open_selected)
        self.table.itemSelectionChanged.connect(self._update_button)
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        self.reload()
        super().showEvent(event)

    def reload(self) -> None:
        """Re-read the project's saved results, newest first; keep the one shown if still there."""
        shown = self.current()
        self.results = list(reversed(load_results(self.workspace.project_dir)))
        self.chooser.clear()
        self.chooser.addItems([describe(r) for r in self.results])
        folders = [r.folder for r in self.results]
        index = folders.index(shown.folder) if shown is not None and shown.folder in folders \
            else 0
        self._show_index(index)

    def current(self) -> FinderResult | None:
        index = self.chooser.currentIndex()
        return self.results[index] if 0 <= index < len(self.results) else None

    def _show_index(self, index: int) -> None:
        if self.results:
            self.chooser.setCurrentIndex(index)
        result = self.current()
        rows = self.table.show_result(result)
        self.chart.set_results(rows, result.pareto() if result is not None else [])
        if result is None:
            self.status.setText("No model-finder results in this project yet: Model ▸ Find a "
                                "model for my data…, or `netdesigner find-model PROJECT`.")
        else:
            skipped = "; ".join(f"{label}: {why}" for label, why in result.skipped)
            self.status.setText(f"Saved in {result.folder}." + (f" Skipped — {skipped}"
                                                                 if skipped else ""))
        self._update_button()

    def _update_button(self) -> None:
        self.open_button.setEnabled(self.table.selected() is not None)

    def open_selected(self) -> None:
        """Open the selected row's model on the Design page (in the background)."""
        row, result = self.table.selected(), self.current()
        if row is None or result is None:
            return
        opener, message = row_opener(result, row)
        self.workspace.session.open_in_background(opener)
        self.status.setText(message + " It appears on the Design page.")
