"""Compare's "Cross-validation" tab: each saved cross-validation as one result (its mean ± std
table), and a button that compares exactly that cross-validation's fold runs.

The summaries are the JSON files `netdesigner train --folds` and the Train page write beside
the runs (designer.project.kfold.load_summaries reads them as data); a fold run that was
deleted is simply not checked.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from designer.project.kfold import KFoldSummary, load_summaries
from designer.ui.training.kfold_table import KFoldTable


def summary_title(summary: KFoldSummary) -> str:
    """'resnet18 — 5 folds, 29 Nov 01:40' (+ ', stopped early')."""
    when = time.strftime("%d %b %H:%M", time.localtime(summary.created))
    return (f"{summary.name} — {summary.k} folds, {when}"
            + ("" if summary.complete else ", stopped early"))


class FoldsPanel(QWidget):
    """A chooser of cross-validations, the chosen one's table, and "Compare these folds"."""

    #: compare exactly these run folders (the chosen cross-validation's folds)
    compare_runs = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chooser = QComboBox()
        self.chooser.setToolTip("A cross-validation trains one run per fold; pick one to see "
                                "the spread of its metrics.")
        self.compare_button = QPushButton("Compare these folds")
        self.compare_button.setToolTip("Check exactly this cross-validation's fold runs in the "
                                       "list above, so the curves show every fold.")
        self.table = KFoldTable()
        self.empty = QLabel("No cross-validation in this project yet. On the Train page, tick "
                            "“Cross-validate with K folds” and press Start.")
        self.empty.setWordWrap(True)
        self.summaries: list[KFoldSummary] = []
        self._runs_root: Path | None = None
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Cross-validation:"))
        bar.addWidget(self.chooser, 1)
        bar.addWidget(self.compare_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.chooser.currentIndexChanged.connect(self._show_current)
        self.compare_button.clicked.connect(self.compare_current)

    def reload(self, runs_root: Path) -> None:
        """Read the cross-validations saved in `runs_root`; newest first, the choice kept."""
        chosen = self.current
        self._runs_root = runs_root
        self.summaries = list(reversed(load_summaries(runs_root)))
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for summary in self.summaries:
            self.chooser.addItem(summary_title(summary))
        keep = next((i for i, s in enumerate(self.summaries)
                     if chosen is not None and s.created == chosen.created), 0)
        self.chooser.setCurrentIndex(keep if self.summaries else -1)
        self.chooser.blockSignals(False)
        has = bool(self.summaries)
        self.empty.setVisible(not has)
        self.table.setVisible(has)
        self.chooser.setEnabled(has)
        self.compare_button.setEnabled(has)
        self._show_current()

    @property
    def current(self) -> KFoldSummary | None:
        index = self.chooser.currentIndex()
        return self.summaries[index] if 0 <= index < len(self.summaries) else None

    def fold_dirs(self, summary: KFoldSummary) -> list[Path]:
        """The run folders of a cross-validation's folds (every fold, counted or not)."""
        if self._runs_root is None:
            return []
        return [self._runs_root / fold.run for fold in summary.folds]

    def compare_current(self) -> None:
        summary = self.current
        if summary is not None:
            self.compare_runs.emit(self.fold_dirs(summary))

    def _show_current(self) -> None:
        self.table.show_summary(self.current)
