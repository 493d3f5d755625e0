"""When a background analysis lands, the canvas refreshes the nodes in sight at once and the rest
in steps between events (the analyzer and inspector one event-loop turn later), and every view
ends exactly as an eager update of the whole scene leaves it, also when an edit, another design
or an undo comes while the steps are under way.

The analysis is held on an event (`gate`), and the tests set the step size and take away the
time budget, so the steps are the same however fast this machine is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import QRectF, Qt
from pytestqt.qtbot import QtBot

from designer.surgery.opening import open_model
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.canvas import NetworkCanvas, build
from designer.ui.canvas import scene as scene_module
from designer.ui.canvas.nodes import NodeView, describe
from designer.ui.canvas.scene import NetworkScene
from designer.ui.session import DesignSession

if TYPE_CHECKING:
    from conftest import Gate, OnScreen, OpenInBackground

#: nodes refreshed per step in these tests (no time budget: one chunk per step)
CHUNK = 4


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scene_module, "STEP_BUDGET_S", 0.0)
    monkeypatch.setattr(scene_module, "REFRESH_CHUNK", CHUNK)


@pytest.fixture
def canvas(on_screen: OnScreen, session: DesignSession) -> NetworkCanvas:
    return on_screen(NetworkCanvas(session), 700, 500)


@pytest.fixture
def analyzer(on_screen: OnScreen, session: DesignSession) -> AnalyzerPanel:
    return on_screen(AnalyzerPanel(session), 900, 300)


def eager_views(scene: NetworkScene) -> dict[str, NodeView]:
    """Every node's text and state as one eager pass over the whole scene gives them."""
    session = scene.session
    assert session.design is not None
    network = session.design.network
    return {key: describe(network, key, members, session.analysis)
            for key, members in scene.visible.members.items()}


def shown_views(scene: NetworkScene) -> dict[str, NodeView]:
    """What the nodes show now (without completing a refresh under way)."""
    return {key: item.view for key, item in scene.built.nodes.items()}


def table(panel: AnalyzerPanel) -> tuple[Any, ...]:
    """The analyzer as the user reads it: every cell and colour, the issues and their title."""
    model = panel.table.model()
    cells = tuple(tuple((model.index(r, c).data(), model.index(r, c).data(
        Qt.ItemDataRole.ForegroundRole) is not None) for c in range(model.columnCount()))
        for r in range(model.rowCount()))
    issues = tuple(panel.issues.item(i).text() for i in range(panel.issues.count()))
    return cells, issues, panel.issues_title.text()


def eager_table(session: DesignSession) -> tuple[Any, ...]:
    """The analyzer a fresh panel shows for the session's state (one refresh, at once)."""
    fresh = AnalyzerPanel(session)
    fresh.later.request()
    fresh.later.flush()
    try:
        return table(fresh)
    finally:
        fresh.deleteLater()


def in_sight(canvas: NetworkCanvas) -> set[str]:
    view = canvas.view
    area = view.mapToScene(view.viewport().rect()).boundingRect()
    return {key for key, item in canvas.scene.built.nodes.items()
            if area.intersects(QRectF(item.box()).translated(item.pos()))}


def wait_settled(qtbot: QtBot, session: DesignSession, scene: NetworkScene,
                 panel: AnalyzerPanel) -> None:
    qtbot.waitUntil(lambda: not session.analysing and not scene.refreshing
                    and not scene.building and not panel.later.pending, timeout=60_000)


def open_expanded(qtbot: QtBot, canvas: NetworkCanvas, open_bg: OpenInBackground,
                  gate: Gate) -> None:
    """resnet18 drawn before its analysis, every layer shown, the view zoomed on its top."""
    open_bg(lambda: open_model("resnet18", "none", input_size=64, analyse=False))
    qtbot.waitUntil(lambda: gate.started == 1, timeout=20_000)  # its analysis is held
    canvas.scene.expand_all()
    canvas.view.set_zoom(1.0)
    canvas.view.centerOn(canvas.scene.nodes["conv1"])


def test_the_nodes_in_sight_get_their_shapes_first_and_every_node_ends_as_an_eager_update(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, analyzer: AnalyzerPanel,
        gate: Gate, open_bg: OpenInBackground, small_steps: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    open_expanded(qtbot, canvas, open_bg, gate)
    scene = canvas.scene
    sight = in_sight(canvas)
    assert 4 <= len(sight) < len(scene.built.nodes) // 2, "the view shows part of the graph"
    monkeypatch.setattr(scene_module, "REFRESH_CHUNK", len(sight))  # one step: those in sight
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        gate.open()
    waiting = {key for key, view in shown_views(scene).items() if view.shape == "…"}
    assert waiting and scene.refreshing, "the nodes out of sight follow in later steps"
    assert not waiting & sight, "the nodes in sight show their shapes as the analysis lands"
    assert all(eager_views(scene)[key] == shown_views(scene)[key] for key in sight)
    monkeypatch.setattr(scene_module, "REFRESH_CHUNK", CHUNK)
    wait_settled(qtbot, session, scene, analyzer)
    assert shown_views(scene) == eager_views(scene)
    assert scene.built.nodes["fc"].view.shape == "1000"
    assert table(analyzer) == eager_table(session)
    assert "…" not in str(table(analyzer)[0])


def test_an_edit_during_the_steps_leaves_no_stale_label_and_undo_after_it_too(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, analyzer: AnalyzerPanel,
        gate: Gate, open_bg: OpenInBackground, small_steps: None) -> None:
    open_expanded(qtbot, canvas, open_bg, gate)
    scene = canvas.scene
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        gate.open()
    assert scene.refreshing
    # an attribute edit mid-way: fc now reads 100 features, an error the next analysis finds
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        session.edit(lambda d: d.set_params("fc", in_features=100))
    wait_settled(qtbot, session, scene, analyzer)
    assert shown_views(scene) == eager_views(scene)
    assert scene.built.nodes["fc"].view.error, "the edited layer shows its new error"
    assert table(analyzer) == eager_table(session)
    assert "1 error(s)" in analyzer.issues_title.text()
    # undo, then a structural edit (a new head) while that analysis's steps are under way
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        session.undo()
    assert scene.refreshing
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        session.edit(lambda d: d.replace_head(7))
    wait_settled(qtbot, session, scene, analyzer)
    assert shown_views(scene) == eager_views(scene)
    assert scene.built.nodes["output"].view.shape == "7" and not scene.built.nodes["fc"].view.error
    assert table(analyzer) == eager_table(session) and analyzer.issues_title.text() == "Issues: none"
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        session.undo()
    wait_settled(qtbot, session, scene, analyzer)
    assert shown_views(scene) == eager_views(scene)
    assert scene.built.nodes["output"].view.shape == "1000"
    assert table(analyzer) == eager_table(session)


def test_another_design_opened_during_the_steps_is_shown_whole_and_current(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, analyzer: AnalyzerPanel,
        gate: Gate, open_bg: OpenInBackground, small_steps: None) -> None:
    open_expanded(qtbot, canvas, open_bg, gate)
    scene = canvas.scene
    other = open_model("mobilenet_v3_small", "none", input_size=32, analyse=False)
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        gate.open()
    assert scene.refreshing
    session.set_design(other)  # e.g. the model browser's next open lands now
    assert not scene.refreshing, "the first design's steps stop with it"
    assert all(view.shape == "…" for view in shown_views(scene).values())
    wait_settled(qtbot, session, scene, analyzer)
    assert session.design is other
    assert shown_views(scene) == eager_views(scene)
    assert "conv1" not in scene.built.nodes and "features" in " ".join(scene.built.nodes)
    assert table(analyzer) == eager_table(session)


def test_an_analysis_landing_while_a_big_graph_builds_in_steps_reaches_every_node(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, analyzer: AnalyzerPanel,
        gate: Gate, open_bg: OpenInBackground, small_steps: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    open_bg(lambda: open_model("resnet18", "none", input_size=64, analyse=False))
    qtbot.waitUntil(lambda: gate.started == 1, timeout=20_000)
    scene = canvas.scene
    monkeypatch.setattr(scene_module, "STEPPED_FROM", 20)  # "Expand all" builds in steps...
    monkeypatch.setattr(build.Build, "CHUNK", 1)
    one_step = build.Build.step

    def slow_step(job: build.Build, budget_s: float) -> bool:
        time.sleep(0.02)  # ...slow enough that the analysis lands while it builds
        return one_step(job, budget_s)

    monkeypatch.setattr(build.Build, "step", slow_step)
    landed_while_building: list[bool] = []
    session.analysis_ready.connect(lambda _a: landed_while_building.append(scene.building))
    scene.expand_all()
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        gate.open()
    assert landed_while_building == [True]
    wait_settled(qtbot, session, scene, analyzer)
    assert shown_views(scene) == eager_views(scene)
    assert all(view.shape != "…" for view in shown_views(scene).values())


def test_freezing_many_layers_shows_them_in_sight_first_then_all(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, analyzer: AnalyzerPanel,
        gate: Gate, open_bg: OpenInBackground, small_steps: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    open_expanded(qtbot, canvas, open_bg, gate)
    scene = canvas.scene
    gate.open()
    wait_settled(qtbot, session, scene, analyzer)
    sight = in_sight(canvas)
    monkeypatch.setattr(scene_module, "REFRESH_CHUNK", len(sight))
    session.edit(lambda d: d.freeze_backbone())  # an attribute edit of most layers
    frozen = {key for key, view in shown_views(scene).items() if view.frozen}
    assert scene.refreshing and frozen, "the nodes in sight show it at once, the rest follow"
    assert frozen <= sight
    monkeypatch.setattr(scene_module, "REFRESH_CHUNK", CHUNK)
    wait_settled(qtbot, session, scene, analyzer)
    assert shown_views(scene) == eager_views(scene)
    assert sum(1 for view in shown_views(scene).values() if view.frozen) > len(sight)
