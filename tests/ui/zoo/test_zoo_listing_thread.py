"""A deferred model browser lists the zoo, and checks which weights are on this machine, off the
GUI thread (a file check per model froze the freshly shown window for ~1 s under load)."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

import designer.ui.zoo.table_model as table_model
from designer.ui.session import DesignSession
from designer.ui.zoo import ModelBrowser
from designer.zoo.entry import ZooEntry


def test_the_deferred_list_and_its_weights_status_arrive_from_a_worker(
        qtbot: QtBot, session: DesignSession, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: set[str] = set()
    real_status = table_model.weights_status

    def spy(entry: ZooEntry) -> str:
        threads.add("gui" if threading.current_thread() is threading.main_thread() else "worker")
        return real_status(entry)

    monkeypatch.setattr(table_model, "weights_status", spy)
    browser = ModelBrowser(session, deferred=True)
    qtbot.addWidget(browser)
    assert browser.table_model.rowCount() == 0 and browser.chart is None  # nothing yet
    with qtbot.waitSignal(browser.listed, timeout=60_000):
        browser.list_in_background()
    assert browser.table_model.rowCount() > 10
    assert threads == {"worker"}  # every model's weights were checked off the GUI thread
    bundled = browser.table_model.row_of("efficientnet_lite0_bundled")
    assert browser.table_model.weights_status("efficientnet_lite0_bundled") == "bundled"
    assert bundled >= 0 and browser.chart is not None  # the chart came with the list
    qtbot.waitUntil(lambda: "efficientnet_lite0_bundled" in browser.chart.points, timeout=10_000)
