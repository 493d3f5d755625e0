"""A model being opened is drawn from its meta-device graph while its weights are built: the
user sees it at once but can edit nothing until the real design arrives; the real design then
takes over the same drawing (no rebuild); a failed build leaves the previous design as it was
with one message; and only the newest open request is ever shown.

Each opener here shows its preview and then waits on an event, so "while building" does not
depend on how fast this machine is."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from pytestqt.qtbot import QtBot

from designer.core.errors import UserError
from designer.core.network import NetworkState
from designer.surgery.design import Design
from designer.surgery.opening import open_model, preview_graph
from designer.ui.actions import DesignActions
from designer.ui.canvas import NetworkCanvas
from designer.ui.session import DesignSession

if TYPE_CHECKING:
    from conftest import OnScreen


class Held:
    """An opener that shows `graph`, then builds `make()` only once released."""

    def __init__(self, graph: NetworkState | None, make: Callable[[], Design],
                 fail: Exception | None = None) -> None:
        self.graph, self.make, self.fail = graph, make, fail
        self.released = threading.Event()

    def __call__(self, _progress: object, _cancelled: object,
                 show: Callable[[NetworkState], None]) -> Design:
        if self.graph is not None:
            show(self.graph)
        assert self.released.wait(60), "the test never released the open"
        if self.fail is not None:
            raise self.fail
        return self.make()


def _resnet18() -> Design:
    return open_model("resnet18", "none", input_size=64, analyse=False)


def _mobilenet() -> Design:
    return open_model("mobilenet_v3_small", "none", input_size=64, analyse=False)


@pytest.fixture
def canvas(on_screen: OnScreen, session: DesignSession) -> NetworkCanvas:
    return on_screen(NetworkCanvas(session), 900, 700)


@pytest.fixture
def mobilenet_open(qtbot: QtBot, session: DesignSession) -> Design:
    """A real design already open (what the user had before opening another model)."""
    with qtbot.waitSignal(session.open_finished, timeout=60_000):
        session.open_in_background(lambda _p, _c: _mobilenet())
    assert session.design is not None
    return session.design


def _members(canvas: NetworkCanvas) -> set[str]:
    return {n for item in canvas.scene.nodes.values() for n in item.view.members}


def test_drawn_while_building_locked_then_the_real_design_keeps_the_drawing(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas,
        mobilenet_open: Design) -> None:
    actions = DesignActions(session)
    errors: list[str] = []
    session.error_occurred.connect(errors.append)
    mobilenet_open.replace_head(5)  # an edit of the open design, kept in its history
    session.analysis = mobilenet_open.analyze()  # shapes known for the open design
    held = Held(preview_graph("resnet18"), _resnet18)
    session.open_with_preview(held)
    qtbot.waitUntil(lambda: session.preview is not None, timeout=20_000)
    assert "fc" in _members(canvas), "resnet18 is drawn before its weights exist"
    assert "classifier_3" not in _members(canvas)
    assert canvas.scene.nodes["x"].view.shape == "…", \
        "no shape from the previous design's analysis (its input is also called x)"
    assert session.design is mobilenet_open, "edits, saves and training still see a real design"
    assert session.locked
    assert not actions["delete"].isEnabled() and not actions["undo"].isEnabled()
    assert session.edit(lambda d: d.replace_head(3)) is None
    assert len(errors) == 1 and "still being opened" in errors[0]
    assert mobilenet_open.network["classifier_3"].params["out_features"] == 5
    drawn = dict(canvas.scene.nodes)

    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished:
        held.released.set()
    assert finished.args == [True]
    design = session.design
    assert design is not None and design.info.model_name == "resnet18"
    assert session.preview is None and not session.locked
    assert canvas.scene.nodes.keys() == drawn.keys()
    assert all(canvas.scene.nodes[key] is item for key, item in drawn.items()), \
        "the same graph arrived: the drawing is kept, not rebuilt"
    assert session.edit(lambda d: d.replace_head(3)) is not None
    assert design.network["fc"].params["out_features"] == 3
    assert actions["undo"].isEnabled()
    assert len(errors) == 1


def test_a_failed_build_leaves_the_previous_design_as_it_was_with_one_message(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas,
        mobilenet_open: Design) -> None:
    errors: list[str] = []
    session.error_occurred.connect(errors.append)
    mobilenet_open.replace_head(5)
    held = Held(preview_graph("resnet18"), _resnet18,
                fail=UserError("The weights file of ResNet-18 is damaged."))
    session.open_with_preview(held)
    qtbot.waitUntil(lambda: session.preview is not None, timeout=20_000)
    assert "fc" in _members(canvas)
    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished:
        held.released.set()
    assert finished.args == [False]
    assert errors == ["The weights file of ResNet-18 is damaged.\n"
                      "mobilenet_v3_small is still open, unchanged."]
    assert session.design is mobilenet_open and not session.locked
    assert "classifier_3" in _members(canvas) and "fc" not in _members(canvas)
    assert mobilenet_open.history.can_undo
    session.undo()
    assert mobilenet_open.network["classifier_3"].params["out_features"] == 1000


def test_a_cancelled_build_draws_the_previous_design_again(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas,
        mobilenet_open: Design) -> None:
    errors: list[str] = []
    session.error_occurred.connect(errors.append)
    held = Held(preview_graph("resnet18"), _resnet18)
    session.open_with_preview(held)
    qtbot.waitUntil(lambda: session.preview is not None, timeout=20_000)
    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished:
        session.cancel_open()
        held.released.set()
    assert finished.args == [False]
    assert errors == []
    assert session.design is mobilenet_open and not session.locked
    assert "classifier_3" in _members(canvas) and "fc" not in _members(canvas)


def test_only_the_newest_open_request_is_drawn_and_opened(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas) -> None:
    shown: list[str] = []
    session.preview_changed.connect(
        lambda network: shown.append("none" if network is None else
                                     "resnet18" if "fc" in network else "mobilenet"))
    session.design_replaced.connect(lambda design: shown.append(design.info.model_name))
    first = Held(preview_graph("resnet18"), _resnet18)
    second = Held(preview_graph("mobilenet_v3_small"), _mobilenet)
    session.open_with_preview(first)
    qtbot.waitUntil(lambda: session.preview is not None, timeout=20_000)
    session.open_with_preview(second)  # the user picked another model meanwhile
    assert session.preview is None
    first.released.set()  # the first build ends: nothing of it may be shown any more
    qtbot.waitUntil(lambda: session.preview is not None, timeout=20_000)
    assert "classifier_3" in _members(canvas) and "fc" not in _members(canvas)
    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished:
        second.released.set()
    assert finished.args == [True]
    assert shown == ["resnet18", "none", "mobilenet", "mobilenet_v3_small"]
    assert session.design is not None and session.design.info.model_name == "mobilenet_v3_small"


def test_a_preview_that_differs_from_the_real_graph_is_redrawn(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas) -> None:
    held = Held(preview_graph("resnet18"), _mobilenet)  # a preview that turned out wrong
    session.open_with_preview(held)
    qtbot.waitUntil(lambda: session.preview is not None, timeout=20_000)
    with qtbot.waitSignal(session.open_finished, timeout=60_000):
        held.released.set()
    assert "classifier_3" in _members(canvas) and "fc" not in _members(canvas)
    assert session.design is not None
    visible = {ly.name for ly in session.design.network if not ly.plumbing}
    assert visible <= _members(canvas) | {"x"}


def test_the_analyzer_lists_the_model_being_opened_not_the_one_it_replaces(
        qtbot: QtBot, session: DesignSession, mobilenet_open: Design,
        on_screen: OnScreen) -> None:
    from designer.ui.analyzer import AnalyzerPanel

    panel = on_screen(AnalyzerPanel(session), 900, 300)
    held = Held(preview_graph("resnet18"), _resnet18)
    session.open_with_preview(held)
    qtbot.waitUntil(lambda: session.preview is not None and not panel.later.pending,
                    timeout=20_000)
    rows = [panel.model.index(r, 1).data() for r in range(panel.model.rowCount())]
    assert "fc" in rows and "classifier_3" not in rows, "the table matches the drawing"
    shapes = {panel.model.index(r, 3).data() for r in range(panel.model.rowCount())}
    assert shapes == {"…"}, "no shapes until the real design is analysed"
    assert panel.issues_title.text() == "Issues: analysing…"
    with qtbot.waitSignal(session.open_finished, timeout=60_000):
        held.released.set()
    qtbot.waitUntil(lambda: session.analysis is not None and not panel.later.pending,
                    timeout=60_000)
    shapes = {panel.model.index(r, 3).data() for r in range(panel.model.rowCount())}
    assert "…" not in shapes and panel.issues_title.text().startswith("Issues:")


def test_the_opening_thread_waits_for_the_preview_to_be_drawn_before_building(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The build after the preview holds the GIL (imports, a module's init): drawing the
    preview meanwhile made every Qt call of it wait. The thread goes on once it is drawn."""
    from designer.ui import session as session_module

    monkeypatch.setattr(session_module, "PREVIEW_PAINT_WAIT_S", 60.0)  # never the timeout
    seen_when_building: list[bool] = []

    def opener(_progress: object, _cancelled: object,
               show: Callable[[NetworkState], None]) -> Design:
        graph = preview_graph("resnet18")
        assert graph is not None
        show(graph)
        seen_when_building.append(session.preview is not None)  # read, not touched
        return _resnet18()

    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished:
        session.open_with_preview(opener)
    assert finished.args == [True]
    assert seen_when_building == [True], "the drawing was in the session before the build"
    assert "fc" in _members(canvas)
