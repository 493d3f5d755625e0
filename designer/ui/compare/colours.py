"""One colour per run, the same in every plot, table and legend of the compare page."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPixmap

#: Tableau 10: distinct on white and for most colour-vision deficiencies
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")


class RunColours:
    """Hands out palette colours in the order runs appear and remembers them."""

    def __init__(self) -> None:
        self._by_run: dict[Path, QColor] = {}

    def colour(self, run_dir: Path) -> QColor:
        if run_dir not in self._by_run:
            self._by_run[run_dir] = QColor(PALETTE[len(self._by_run) % len(PALETTE)])
        return QColor(self._by_run[run_dir])

    def icon(self, run_dir: Path, size: int = 12) -> QIcon:
        """A filled square swatch for lists and tables."""
        pixmap = QPixmap(size, size)
        pixmap.fill(self.colour(run_dir))
        return QIcon(pixmap)
