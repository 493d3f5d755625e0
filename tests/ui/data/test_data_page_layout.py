"""The page at the size the main window gives it: nothing needs scrolling, every tab renders."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QPushButton, QScrollArea
from pytestqt.qtbot import QtBot

from designer.ui.data import DataPage

WAIT_MS = 20_000


def test_settings_fit_without_scrolling(page: DataPage) -> None:
    scroll = page.findChild(QScrollArea)
    assert scroll is not None
    assert scroll.verticalScrollBar().maximum() == 0
    assert scroll.horizontalScrollBar().maximum() == 0


def test_every_option_has_a_tooltip(page: DataPage) -> None:
    kinds = (QAbstractSpinBox, QCheckBox, QComboBox, QPushButton)
    missing = [w.objectName() or type(w).__name__ + ":" + getattr(w, "text", lambda: "")()
               for kind in kinds for w in page.findChildren(kind)
               if w.isVisibleTo(page) and not w.toolTip()]
    assert missing == []


def test_tabs_render(qtbot: QtBot, page: DataPage, tmp_path: Path) -> None:
    """Grab every tab; set NETDESIGNER_SHOTS to a folder to keep the PNGs for a look."""
    folder = Path(os.environ.get("NETDESIGNER_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.augment_panel.recommended.click()
    qtbot.waitUntil(lambda: page.preview.shown_inputs is not None
                    and page.preview.shown_inputs.augment.enabled, timeout=WAIT_MS)
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        if page.tabs.currentWidget() is page.thumbnails and page.thumbnails.grid.count() == 0:
            qtbot.waitSignal(page.thumbnails.loaded, timeout=WAIT_MS).wait()
        image = page.grab().toImage()
        assert (image.width(), image.height()) == (1100, 700)
        name = page.tabs.tabText(index).lower().replace(" ", "-")
        assert image.save(str(folder / f"data-page-{name}.png"))
    grid = page.thumbnails.grid
    assert grid.count() > 0
    first = grid.visualItemRect(grid.item(0))
    assert grid.viewport().rect().contains(first)  # thumbnails on screen, not scrolled away
