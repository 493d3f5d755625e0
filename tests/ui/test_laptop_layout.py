"""Every page fits a 1366×768 laptop screen with the docks shown, and the inspector shows a
layer's settings and Apply without scrolling (issue 12 §4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from designer.surgery.opening import open_model
from designer.ui.main_window import MainWindow

LAPTOP = QSize(1366, 768)
#: the room a window gets on a 1366×768 screen: a title bar and a desktop panel take ~60 px
ROOM = QSize(1366, 708)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    win = MainWindow(restore_layout=False)
    win.projects.new(tmp_path / "project")
    qtbot.addWidget(win)
    win.fit_screen(ROOM)
    win.showNormal()  # the offscreen screen is 800×600: size the window as the laptop would
    win.resize(ROOM)
    with qtbot.waitSignal(win.session.analysis_ready, timeout=60_000):
        win.session.set_design(open_model("resnet18", input_size=32))
    return win


def test_every_page_fits_a_laptop_screen(window: MainWindow, qtbot: QtBot) -> None:
    assert all(dock.isVisible() for dock in window.docks.values() if dock.objectName() !=
               "layer_library"), "the design docks are shown"
    tabs_at = set()
    for index in range(window.pages.count()):
        window.pages.setCurrentIndex(index)
        qtbot.wait(50)
        title = window.pages.tabText(index)
        needed = window.minimumSizeHint()
        assert needed.width() <= ROOM.width(), f"{title} needs {needed.width()} px of width"
        assert needed.height() <= ROOM.height(), f"{title} needs {needed.height()} px of height"
        tabs_at.add(window.pages.switcher.mapTo(window, QPoint(0, 0)).x())
    assert len(tabs_at) == 1, "the page tabs stay in one place on every page"


def test_inspector_shows_a_layers_settings_and_apply(window: MainWindow, qtbot: QtBot) -> None:
    window.pages.setCurrentIndex(0)
    with qtbot.waitSignal(window.session.selection_changed):
        window.session.select(["fc"])
    qtbot.wait(50)
    inspector = window.inspector
    apply = next(b for b in inspector.widget().findChildren(QPushButton) if b.text() == "Apply")
    assert apply.isVisible()
    bottom = apply.mapTo(inspector.viewport(), QPoint(0, apply.height())).y()
    assert bottom <= inspector.viewport().height(), "Apply is visible without scrolling"
