"""Save one training plot as a PNG (for slides) or an SVG (for papers).

A PNG is the plot as on screen at twice the pixels (pyqtgraph's ImageExporter scales fonts
but not the legend). SVGs come from pyqtgraph's SVGExporter, which (0.14) fails on every plot
with PySide6 6.12: Qt's SVG paths end in a bare "Z" that its coordinate rewriter cannot parse
(pyqtgraph issue #3485); `_closed_paths_tolerated` works around that during one export.
(Painting the scene into a QSvgGenerator instead misplaces the axes against the curves.)
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QWidget

from designer.core.errors import UserError

FILTERS = "PNG image (*.png);;SVG vector graphics (*.svg)"
PNG_SCALE = 2.0  # pixels per on-screen pixel: sharp on slides and high-DPI screens


class PlotExportError(UserError, OSError):
    """The plot could not be written, with what to do."""


def choose_export_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Ask where to save (tests replace this function to skip the dialog)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export plot", suggested, FILTERS)
    return Path(path) if path else None


def export_plot(plot: pg.PlotWidget, path: Path) -> Path:
    """Write `plot` to `path`: SVG for .svg, else PNG (".png" is added when missing)."""
    if path.suffix.lower() not in (".svg", ".png"):
        path = path.with_name(path.name + ".png")
    if not path.parent.is_dir():
        raise PlotExportError(f"Could not write {path}: the folder does not exist. "
                              "Choose another folder.")
    try:
        if path.suffix.lower() == ".svg":
            _write_svg(plot, path)
        elif not _render_png(plot).save(str(path)):
            raise OSError("the image could not be saved")
    except OSError as error:
        raise PlotExportError(f"Could not write {path}: {error}. Choose another folder.") from error
    if not path.is_file():
        raise PlotExportError(f"Could not write {path}. Choose a folder you can write to.")
    return path


def _render_png(plot: pg.PlotWidget) -> QImage:
    """The plot as on screen, at PNG_SCALE times the pixels (fonts, lines and legend alike)."""
    item = plot.getPlotItem()
    source = item.sceneBoundingRect()
    image = QImage((source.size() * PNG_SCALE).toSize(), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(PNG_SCALE)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing)
        item.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return image


def _write_svg(plot: pg.PlotWidget, path: Path) -> None:
    with _closed_paths_tolerated():
        pg_exporters.SVGExporter(plot.getPlotItem()).export(str(path))


@contextlib.contextmanager
def _closed_paths_tolerated() -> Iterator[None]:
    """Drop the bare "Z" (close path) tokens pyqtgraph 0.14 cannot parse, during one export.

    Every path Qt writes here ends with an explicit line back to its start before the "Z", so
    the drawing is unchanged; only pyqtgraph's coordinate rewrite is spared the token.
    """
    module: Any = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original: Callable[..., Any] = module.correctCoordinates

    def correct(node: Any, defs: Any, item: Any, options: Any) -> Any:
        for element in node.getElementsByTagName("path"):
            tokens = element.getAttribute("d").split()
            element.setAttribute("d", " ".join(t for t in tokens if "," in t))
        return original(node, defs, item, options)

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original
