"""The analyzer's "Profile on this machine": time columns, share bars, a coloured canvas, cancel."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from designer.surgery.opening import open_model
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.canvas.scene import NetworkScene
from designer.ui.session import DesignSession


@pytest.fixture
def panel(qtbot: QtBot) -> tuple[AnalyzerPanel, NetworkScene]:
    session = DesignSession()
    session.set_design(open_model("resnet18", input_size=32))
    analyzer = AnalyzerPanel(session)
    qtbot.addWidget(analyzer)
    scene = NetworkScene(session)
    yield analyzer, scene
    analyzer.profile_runner.shutdown()


def _column(panel: AnalyzerPanel, title: str) -> int:
    model = panel.model
    return next(c for c in range(model.columnCount())
                if str(model.headerData(c, __import__("PySide6.QtCore").QtCore.Qt.Orientation.
                                        Horizontal)).startswith(title))


def test_profile_fills_time_columns_and_colours_the_canvas(
        qtbot: QtBot, panel: tuple[AnalyzerPanel, NetworkScene]) -> None:
    analyzer, scene = panel
    analyzer.batch_box.setValue(4)
    analyzer.profile_button.click()
    qtbot.waitUntil(lambda: analyzer.profiles is not None, timeout=120_000)
    model = analyzer.model
    assert model.headerData(7, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal) \
        == "ms ×4"
    shares = [model.index(r, _column(analyzer, "Time")).data() for r in range(model.rowCount())]
    assert all(s.endswith("%") for s in shares), "every visible layer shows its share of time"
    assert "measured forward" in analyzer.profile_info.text()
    heats = [item.heat for item in scene.nodes.values()]
    assert all(h is not None for h in heats)
    assert sum(h for h in heats if h is not None) == pytest.approx(1.0, abs=1e-6)
    analyzer.colour_box.setChecked(False)
    assert all(item.heat is None for item in scene.nodes.values()), "colours can be switched off"
    analyzer.colour_box.setChecked(True)
    scene.session.edit(lambda d: d.replace_head(3))
    assert analyzer.profiles is None and all(i.heat is None for i in scene.nodes.values()), \
        "a changed network drops times that no longer apply"


def test_profile_can_be_cancelled(qtbot: QtBot, panel: tuple[AnalyzerPanel, NetworkScene]) -> None:
    analyzer, _scene = panel
    analyzer.profile_button.click()
    analyzer.cancel_button.click()
    qtbot.waitUntil(lambda: analyzer.profile_button.isEnabled(), timeout=120_000)
    assert analyzer.profiles is None
    assert "cancelled" in analyzer.profile_info.text()
