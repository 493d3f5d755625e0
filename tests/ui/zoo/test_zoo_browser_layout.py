"""The browser in a narrow dock and a wide one: headers readable, key columns in view."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.ui.zoo import Column, ModelBrowser
from designer.ui.zoo.table_model import HEADERS

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.mark.parametrize("size", [(380, 700), (900, 600)])
def test_headers_are_not_clipped(qtbot: QtBot, browser: ModelBrowser,
                                 size: tuple[int, int], tmp_path: Path) -> None:
    browser.resize(*size)
    qtbot.wait(20)
    header = browser.table.horizontalHeader()
    metrics = header.fontMetrics()
    for column in Column:
        assert header.sectionSize(column) > metrics.horizontalAdvance(HEADERS[column][0]), column
    image = browser.grab().toImage()
    assert (image.width(), image.height()) == size
    assert browser.chart.plot.isVisible()
    assert browser.measure.button.isVisible() and browser.open_button.isVisible()


def test_narrow_dock_shows_name_top1_and_latency_without_scrolling(
        qtbot: QtBot, browser: ModelBrowser) -> None:
    browser.resize(380, 700)
    qtbot.wait(20)
    header = browser.table.horizontalHeader()
    viewport_width = browser.table.viewport().width()
    for column in (Column.NAME, Column.TOP1, Column.LATENCY):
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert right <= viewport_width, column


def test_wide_dock_gives_spare_width_to_the_name(qtbot: QtBot, browser: ModelBrowser) -> None:
    browser.resize(1400, 600)
    qtbot.wait(20)
    header = browser.table.horizontalHeader()
    assert header.length() == pytest.approx(browser.table.viewport().width(), abs=2)


def test_chart_can_be_hidden(qtbot: QtBot, browser: ModelBrowser) -> None:
    qtbot.mouseClick(browser.chart_button, Qt.MouseButton.LeftButton)
    assert not browser.chart.isVisible()
    qtbot.mouseClick(browser.chart_button, Qt.MouseButton.LeftButton)
    assert browser.chart.isVisible()
