"""Every run of the project with a checkbox: the checked runs are the ones compared."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from designer.project.run_compare import accuracy_text, what_differs
from designer.project.runs import RunRecord
from designer.ui.compare.colours import RunColours

COLUMNS = ("Run", "Accuracy", "What differs", "Model", "Date", "Status")
RUN, ACCURACY, DIFFERS, MODEL, DATE, STATUS = range(len(COLUMNS))
#: runs that appear are checked while fewer than this many are
AUTO_CHECK = 6
_RUN_ROLE = Qt.ItemDataRole.UserRole + 3


def status_text(run: RunRecord) -> str:
    """'completed', 'stopped', 'error'… or 'interrupted' / 'running' for a run without a summary."""
    return run.summary.reason if run.summary is not None else run.status


class RunList(QTreeWidget):
    """Check runs to compare them; the current row is the run the buttons act on."""

    checked_changed = Signal()
    current_run_changed = Signal(object)  # RunRecord | None

    def __init__(self, colours: RunColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = colours
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RUN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(DIFFERS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MODEL, QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        self.setColumnWidth(DIFFERS, 110)
        self.setColumnWidth(MODEL, 90)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the end: "… fold 2/5"
        self.itemChanged.connect(self._on_item_changed)
        self.currentItemChanged.connect(lambda item, _old: self.current_run_changed.emit(
            item.data(0, _RUN_ROLE) if item is not None else None))

    def set_runs(self, runs: Sequence[RunRecord]) -> None:
        """Show `runs`, keeping check marks; new runs come checked (up to AUTO_CHECK)."""
        checked = {r.run_dir for r in self.checked_runs()}
        known = {r.run_dir for r in self.runs()}
        current = self.current_run
        self.blockSignals(True)
        self.clear()
        for run, differs in zip(runs, what_differs(runs), strict=True):
            fresh = run.run_dir not in known
            if fresh and len(checked) < AUTO_CHECK:
                checked.add(run.run_dir)
            self.addTopLevelItem(self._item(run, run.run_dir in checked, differs))
        self.blockSignals(False)
        keep = self._item_of(current.run_dir) if current is not None else None
        items = self._items()
        if keep is not None or items:
            self.setCurrentItem(keep or items[-1])
        self.checked_changed.emit()

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item for item in items if item is not None]

    def runs(self) -> list[RunRecord]:
        return [item.data(0, _RUN_ROLE) for item in self._items()]

    def checked_runs(self) -> list[RunRecord]:
        """Checked runs in list order (oldest first)."""
        return [it.data(0, _RUN_ROLE) for it in self._items()
                if it.checkState(0) == Qt.CheckState.Checked]

    def set_checked(self, run_dir: Path, checked: bool) -> None:
        item = self._item_of(run_dir)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def set_all_checked(self, checked: bool) -> None:
        self.blockSignals(True)
        for run in self.runs():
            self.set_checked(run.run_dir, checked)
        self.blockSignals(False)
        self.checked_changed.emit()

    def check_only(self, run_dirs: Sequence[Path]) -> None:
        """Check exactly these runs (e.g. one cross-validation's folds), the rest unchecked."""
        wanted = {Path(d) for d in run_dirs}
        self.blockSignals(True)
        for run in self.runs():
            self.set_checked(run.run_dir, run.run_dir in wanted)
        self.blockSignals(False)
        self.checked_changed.emit()

    def set_current(self, run_dir: Path) -> None:
        """Highlight a run (the one the page's buttons act on)."""
        item = self._item_of(run_dir)
        if item is not None:
            self.setCurrentItem(item)

    @property
    def current_run(self) -> RunRecord | None:
        item = self.currentItem()
        return item.data(0, _RUN_ROLE) if item is not None else None

    def _item(self, run: RunRecord, checked: bool, differs: str) -> QTreeWidgetItem:
        when = time.strftime("%d %b %H:%M", time.localtime(run.created)) if run.created else "?"
        item = QTreeWidgetItem([run.name, accuracy_text(run), differs, run.model_name, when,
                                status_text(run)])
        item.setTextAlignment(ACCURACY, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setData(0, _RUN_ROLE, run)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setIcon(0, self._colours.icon(run))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.created)) if run.created else ""
        note = f"\n{run.info.note}" if run.info.note else ""
        tip = (f"{run.name}: {run.model_name}, {stamp}{note}\n{run.run_dir}\n"
               f"{run.message}" + (f"\nDiffers in: {differs}" if differs else ""))
        for column in range(len(COLUMNS)):
            item.setToolTip(column, tip)
        return item

    def _item_of(self, run_dir: Path) -> QTreeWidgetItem | None:
        return next((it for it in self._items() if it.data(0, _RUN_ROLE).run_dir == run_dir), None)

    def _on_item_changed(self, _item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.checked_changed.emit()
