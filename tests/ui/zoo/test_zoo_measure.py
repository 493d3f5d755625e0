"""Measuring speed from the browser: results fill in one by one, cancel keeps them, they persist."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from designer.ui.zoo import Column, ModelBrowser, ZooTableModel
from designer.ui.zoo.table_model import MISSING
from designer.zoo import speed
from designer.zoo.errors import CancelledError
from designer.zoo.registry import list_entries

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TINY = ["mobilenet_v3_small", "squeezenet1_1"]
FAKE_MS = {"mobilenet_v3_small": 7.25, "squeezenet1_1": 12.5}


def _select(browser: ModelBrowser, names: list[str]) -> None:
    selection = QItemSelection()
    for name in names:
        row = browser.proxy.proxy_row_of(name)
        selection.select(browser.proxy.index(row, 0), browser.proxy.index(row, Column.LATENCY))
    browser.table.selectionModel().select(selection,
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _latency_text(browser: ModelBrowser, name: str) -> str:
    return str(browser.proxy.index(browser.proxy.proxy_row_of(name), Column.LATENCY).data())


def test_measuring_two_selected_models_fills_column_and_chart(
        qtbot: QtBot, browser: ModelBrowser, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake(name: str, progress: Callable[[float, str], None] | None = None,
             cancel: Callable[[], bool] | None = None, use_cache: bool = True) -> float:
        calls.append(name)
        if progress is not None:
            progress(0.5, f"Timing {name}")
        return FAKE_MS[name]

    monkeypatch.setattr(speed, "measure_latency", fake)
    _select(browser, TINY)
    assert browser.measure.button.text() == "Measure speed (2)"
    with qtbot.waitSignal(browser.measure.measurer.finished, timeout=10_000) as done:
        qtbot.mouseClick(browser.measure.button, Qt.MouseButton.LeftButton)
    assert done.args == [2, 2, False]
    assert sorted(calls) == TINY
    qtbot.waitUntil(lambda: not any(browser.chart.points[n].estimated for n in TINY))
    for name, ms in FAKE_MS.items():
        assert _latency_text(browser, name) == f"{ms:.1f}"
        assert browser.chart.points[name].latency_ms == ms
    assert _latency_text(browser, "resnet18") == MISSING
    # everything selected is measured now: the next click re-measures them
    assert browser.measure.button.text() == "Re-measure speed (2)"


def test_cancel_keeps_the_models_already_measured(
        qtbot: QtBot, browser: ModelBrowser, monkeypatch: pytest.MonkeyPatch) -> None:
    second_started = threading.Event()

    def fake(name: str, progress: Callable[[float, str], None] | None = None,
             cancel: Callable[[], bool] | None = None, use_cache: bool = True) -> float:
        if name == TINY[0]:
            return FAKE_MS[name]
        second_started.set()
        while cancel is not None and not cancel():
            threading.Event().wait(0.01)
        raise CancelledError(f"Speed test of {name} cancelled.")

    monkeypatch.setattr(speed, "measure_latency", fake)
    _select(browser, TINY)
    browser.measure.start()
    assert browser.measure.cancel_button.isVisible()
    qtbot.waitUntil(second_started.is_set, timeout=10_000)
    with qtbot.waitSignal(browser.measure.measurer.finished, timeout=10_000) as done:
        qtbot.mouseClick(browser.measure.cancel_button, Qt.MouseButton.LeftButton)
    assert done.args == [1, 2, True]
    assert _latency_text(browser, TINY[0]) == f"{FAKE_MS[TINY[0]]:.1f}"
    assert _latency_text(browser, TINY[1]) == MISSING
    assert not browser.measure.cancel_button.isVisible()
    assert browser.measure.button.isEnabled()
    assert "cancelled" in browser.measure.message.text()


def test_measure_targets_the_filtered_models(browser: ModelBrowser) -> None:
    browser.filter_edit.setText("squeezenet")
    browser.select_model("squeezenet1_0")
    names, _use_cache, what = browser.measure.plan()
    assert sorted(names) == ["squeezenet1_0", "squeezenet1_1"]
    assert "listed" in what


@pytest.mark.slow  # 2-6 s on a shared 2-core machine
def test_real_measurement_persists_for_the_next_start(qtbot: QtBot,
                                                      browser: ModelBrowser) -> None:
    browser.filter_edit.setText("mobilenet_v3_small")
    assert browser.proxy.rowCount() == 1
    with qtbot.waitSignal(browser.measure.measurer.finished, timeout=120_000) as done:
        browser.measure.start()
    assert done.args == [1, 1, False]
    ms = browser.table_model.latency("mobilenet_v3_small")
    assert ms is not None and ms > 0
    assert _latency_text(browser, "mobilenet_v3_small") == f"{ms:,.1f}"
    assert ZooTableModel().latency("mobilenet_v3_small") == ms  # read back from the speed cache


def test_long_measurement_asks_first(qtbot: QtBot, browser: ModelBrowser,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, float]] = []
    calls: list[str] = []

    def fake(name: str, progress: object = None, cancel: object = None,
             use_cache: bool = True) -> float:
        calls.append(name)
        return 1.0

    def decline(count: int, seconds: float) -> bool:
        asked.append((count, seconds))
        return False

    monkeypatch.setattr(speed, "measure_latency", fake)
    monkeypatch.setattr(browser.prompts, "confirm_long_measure", decline)
    qtbot.mouseClick(browser.measure.button, Qt.MouseButton.LeftButton)  # every listed model
    assert len(asked) == 1
    count, seconds = asked[0]
    assert count == len(list_entries()) and seconds > 120  # vit_h_14 alone needs minutes on a CPU
    assert not browser.measure.measurer.running and calls == []
    _select(browser, TINY)  # two tiny models: no question
    with qtbot.waitSignal(browser.measure.measurer.finished, timeout=10_000):
        qtbot.mouseClick(browser.measure.button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and sorted(calls) == TINY
