"""A combo box of the project's runs that keeps its choice when the list changes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from designer.project.run_compare import accuracy_text, what_differs
from designer.project.runs import RunRecord


def run_label(run: RunRecord, differs: str = "") -> str:
    """'lr 0.01 — 87.5 % — lr 0.01, epochs 2 — resnet18 — 2026-11-23 09:37': name, accuracy,
    what sets it apart from the other runs, model, date."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created)) if run.created else "?"
    state = "" if run.finished else f" ({run.status})"
    parts = [run.name, accuracy_text(run), differs, run.model_name or "model", f"{when}{state}"]
    return " — ".join(p for p in parts if p)


def run_tip(run: RunRecord, differs: str) -> str:
    """Tooltip of a run in the chooser: its note and everything it differs in."""
    lines = [run.name] + ([run.info.note] if run.info.note else [])
    if differs:
        lines.append(f"Differs from the other runs in: {differs}")
    return "\n".join(lines)


class RunPicker(QComboBox):
    """Runs oldest first; follows the latest run unless the user picked an older one."""

    run_changed = Signal(object)  # RunRecord | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunRecord] = []
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(30)
        self.currentIndexChanged.connect(self._emit)

    @property
    def current(self) -> RunRecord | None:
        index = self.currentIndex()
        return self.runs[index] if 0 <= index < len(self.runs) else None

    def set_runs(self, runs: Sequence[RunRecord]) -> None:
        """New list: keep the chosen run, or follow the newest when the newest was chosen."""
        previous = self.current
        followed_latest = previous is None or (bool(self.runs) and previous is self.runs[-1])
        self.runs = list(runs)
        self.blockSignals(True)
        self.clear()
        self._add_items()
        keep = self._index_of(previous.run_dir) if previous is not None else -1
        self.setCurrentIndex(len(self.runs) - 1 if followed_latest or keep < 0 else keep)
        self.blockSignals(False)
        if self.current is not previous:
            self._emit()

    def select(self, run: RunRecord) -> None:
        """Choose `run` (added to the list if the workspace does not know it yet)."""
        index = self._index_of(run.run_dir)
        if index < 0:
            self.runs.append(run)
            index = len(self.runs) - 1
        else:
            self.runs[index] = run
        self.blockSignals(True)
        current = self.currentIndex()
        self.clear()
        self._add_items()  # the newcomer changes what sets every run apart
        self.setCurrentIndex(current)
        self.blockSignals(False)
        if index == self.currentIndex():
            self._emit()
        else:
            self.setCurrentIndex(index)

    def _add_items(self) -> None:
        for i, (run, differs) in enumerate(zip(self.runs, what_differs(self.runs), strict=True)):
            self.addItem(run_label(run, differs))
            self.setItemData(i, run_tip(run, differs), Qt.ItemDataRole.ToolTipRole)

    def _index_of(self, run_dir: Path) -> int:
        return next((i for i, r in enumerate(self.runs) if r.run_dir == run_dir), -1)

    def _emit(self, _index: int = 0) -> None:
        self.run_changed.emit(self.current)
