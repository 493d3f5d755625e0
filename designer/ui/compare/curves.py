"""Validation accuracy and training loss of the checked runs, overlaid, one colour per run."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from designer.project.run_compare import curve
from designer.project.runs import RunRecord
from designer.ui.compare.colours import RunColours
from designer.ui.plot_style import style_axes

#: plot key -> (title, y label)
PLOTS = {"val_acc": ("Validation accuracy", "accuracy (%)"),
         "train_loss": ("Training loss", "loss")}
AXES = {"iteration": "Iteration", "epoch": "Epoch"}


def make_plot(title: str, y_label: str) -> pg.PlotWidget:
    """A white pyqtgraph plot styled like the rest of the app."""
    plot = pg.PlotWidget(background="w")
    item = plot.getPlotItem()
    item.setTitle(title, color="#282828", size="10pt")
    item.setLabel("left", y_label)
    style_axes(item)
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setMenuEnabled(False)
    item.hideButtons()
    item.layout.setContentsMargins(0, 0, 12, 0)
    return plot


class CurvesPanel(QWidget):
    """Two plots and a shared legend; ``items[plot][run_dir]`` is the curve of a run."""

    def __init__(self, colours: RunColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = colours
        self._runs: list[RunRecord] = []
        self.axis = QComboBox()
        for key, text in AXES.items():
            self.axis.addItem(text, key)
        self.axis.currentIndexChanged.connect(lambda _i: self.set_runs(self._runs))
        self.plots = {key: make_plot(*labels) for key, labels in PLOTS.items()}
        self.items: dict[str, dict[Path, pg.PlotDataItem]] = {key: {} for key in PLOTS}
        self.plots["val_acc"].getPlotItem().setLimits(yMin=-5, yMax=105)
        self.plots["val_acc"].getPlotItem().setYRange(0, 100)  # percent, also while empty
        self.legend = QLabel()  # one legend for both plots, outside them: it never hides a curve
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel()
        self.note.setStyleSheet("color: #555")
        header = QHBoxLayout()
        header.addWidget(self.legend, 1)
        header.addWidget(self.note)
        header.addWidget(QLabel("x axis:"))
        header.addWidget(self.axis)
        row = QHBoxLayout()
        for plot in self.plots.values():
            row.addWidget(plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(row, 1)

    def legend_names(self) -> list[str]:
        """Run names in the legend, in order."""
        return [r.name for r in self._runs]

    @property
    def axis_key(self) -> str:
        return str(self.axis.currentData())

    def set_runs(self, runs: Sequence[RunRecord]) -> None:
        """Redraw the curves of `runs` (the checked ones)."""
        self._runs = list(runs)
        axis = self.axis_key
        for key, plot in self.plots.items():
            item = plot.getPlotItem()
            for old in self.items[key].values():
                item.removeItem(old)
            self.items[key] = {}
            for run in self._runs:
                xs, ys = curve(run, key, axis)
                if key == "val_acc":  # percent, as on the Train page and in the tables
                    ys = [100 * y for y in ys]
                colour = self._colours.colour(run)
                line = pg.PlotDataItem(xs, ys, name=run.name, pen=pg.mkPen(colour, width=2),
                                       symbol="o" if key == "val_acc" else None, symbolSize=6,
                                       symbolBrush=colour, symbolPen=colour)
                item.addItem(line)
                self.items[key][run.run_dir] = line
            item.setLabel("bottom", AXES[axis])
        self.legend.setText("&nbsp;&nbsp; ".join(
            f'<span style="color:{self._colours.colour(r).name()}">&#9632;&#9632;</span>'
            f"&nbsp;{html.escape(r.name)}" for r in self._runs))
        empty = [r.name for r in self._runs if not r.history.iterations]
        self.note.setText("Check runs on the left to overlay their curves." if not self._runs else
                          ("No history yet: " + ", ".join(empty)) if empty else "")
