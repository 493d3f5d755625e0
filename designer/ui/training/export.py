"""Save one training plot as a PNG (for slides) or an SVG (for papers)."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtWidgets import QFileDialog, QWidget

FILTERS = "PNG image (*.png);;SVG vector graphics (*.svg)"
PNG_WIDTH = 1600


class PlotExportError(OSError):
    """The plot could not be written, with what to do."""


def choose_export_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Ask where to save (tests replace this function to skip the dialog)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export plot", suggested, FILTERS)
    return Path(path) if path else None


def export_plot(plot: pg.PlotWidget, path: Path) -> Path:
    """Write `plot` to `path`: SVG for .svg, else PNG (".png" is added when missing)."""
    item = plot.getPlotItem()
    if path.suffix.lower() != ".svg" and path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    if path.suffix.lower() == ".svg":
        exporter: pg_exporters.Exporter = pg_exporters.SVGExporter(item)
    else:
        exporter = pg_exporters.ImageExporter(item)
        exporter.parameters()["width"] = PNG_WIDTH
    try:
        exporter.export(str(path))
    except OSError as error:
        raise PlotExportError(f"Could not write {path}: {error}. Choose another folder.") from error
    if not path.is_file():
        raise PlotExportError(f"Could not write {path}. Choose a folder you can write to.")
    return path
