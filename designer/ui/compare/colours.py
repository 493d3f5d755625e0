"""One colour per run, the same in every plot, table and legend, and in every session.

A run's colour is stored with it (run.json's palette index, handed out in creation order); an
older run without one gets a colour derived from its folder name. Only when two shown runs
would share a colour (a copied run folder) does the later one move to the next free colour.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPixmap

from designer.project.runs import RunRecord

#: Tableau 10: distinct on white and for most colour-vision deficiencies (one green only)
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")


def preferred_index(run: RunRecord) -> int:
    """The run's own palette index: stored, else derived from its folder name (never from
    where it stands in a list)."""
    if run.info.colour is not None:
        return run.info.colour % len(PALETTE)
    return zlib.crc32(run.run_dir.name.encode()) % len(PALETTE)


class RunColours:
    """Each run's own colour; a clash between shown runs moves the later one along."""

    def __init__(self) -> None:
        self._by_run: dict[Path, int] = {}

    def colour(self, run: RunRecord) -> QColor:
        if not isinstance(run, RunRecord):
            raise TypeError(f"colour() needs a RunRecord, got {type(run).__name__}")
        if run.run_dir not in self._by_run:
            taken = set(self._by_run.values())
            index = preferred_index(run)
            if len(taken) < len(PALETTE):
                while index in taken:
                    index = (index + 1) % len(PALETTE)
            self._by_run[run.run_dir] = index
        return QColor(PALETTE[self._by_run[run.run_dir]])

    def icon(self, run: RunRecord, size: int = 12) -> QIcon:
        """A filled square swatch for lists and tables."""
        pixmap = QPixmap(size, size)
        pixmap.fill(self.colour(run))
        return QIcon(pixmap)
