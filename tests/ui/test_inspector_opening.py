"""While a model opens in the background the inspector says so, instead of asking the user to
open one (they just did)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.ui.inspector import Inspector
from designer.ui.session import DesignSession


def _texts(panel: Inspector) -> str:
    body = panel.widget()
    return " ".join(label.text() for label in body.findChildren(QLabel))


def test_the_inspector_says_a_model_is_opening_until_it_is_shown(
        qtbot: QtBot, session: DesignSession) -> None:
    panel = Inspector(session)
    qtbot.addWidget(panel)
    panel.show()  # it follows the session at the next turn of the event loop while shown
    assert "Open a model from the model browser" in _texts(panel)
    release = threading.Event()

    def opener(_progress: Callable[[float, str], None], _cancelled: Callable[[], bool]) -> Design:
        assert release.wait(60)
        return open_model("resnet18", "none", input_size=32)

    session.open_in_background(opener)
    try:
        qtbot.waitUntil(lambda: "Opening the model" in _texts(panel))
    finally:
        with qtbot.waitSignal(session.open_finished, timeout=60_000):
            release.set()
    qtbot.waitUntil(lambda: not panel.later.pending)
    text = _texts(panel)
    assert "Opening the model" not in text and "Open a model" not in text
    assert "resnet18" in text
