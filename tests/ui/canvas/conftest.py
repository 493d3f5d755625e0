"""Canvas fixtures: a small real network (resnet18 at 64 px) in a real `NetworkCanvas`, and a
driver that clicks, right-clicks and answers menus the way a user would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import torch
import torchvision
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from designer.core.analysis import NetworkAnalysis
from designer.core.network import Network, NetworkState
from designer.surgery import analysis as analysis_module
from designer.surgery.design import Design, DesignInfo
from designer.surgery.store import Store
from designer.ui.canvas import NetworkCanvas, menus
from designer.ui.canvas.node_item import LayerItem
from designer.ui.session import DesignSession

_W = TypeVar("_W", bound=QWidget)


@dataclass(frozen=True)
class Imported:
    """A traced model kept as data, so each test gets a fresh design without re-tracing."""

    state: NetworkState
    store: Store
    info: DesignInfo

    def design(self) -> Design:
        return Design(Network(self.state.layers), dict(self.store), self.info)


@pytest.fixture(scope="session")
def resnet18_import() -> Imported:
    torch.manual_seed(0)
    design = Design.from_module(torchvision.models.resnet18(weights=None).eval(),
                                DesignInfo(model_name="resnet18", input_size=64))
    return Imported(design.network.state(), dict(design.store), design.info)


class OnScreen:
    """Shows a widget at a size and waits until it is exposed (qtbot closes it after)."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot

    def __call__(self, widget: _W, width: int, height: int) -> _W:
        self.qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        self.qtbot.waitExposed(widget)
        return widget


@pytest.fixture
def on_screen(qtbot: QtBot) -> OnScreen:
    return OnScreen(qtbot)


@pytest.fixture
def canvas(on_screen: OnScreen, session: DesignSession,
           resnet18_import: Imported) -> NetworkCanvas:
    widget = on_screen(NetworkCanvas(session), 1000, 800)
    session.set_design(resnet18_import.design())
    return widget


class CanvasDriver:
    """Drives a canvas through its viewport: clicks, context menus, waiting for analyses."""

    def __init__(self, canvas: NetworkCanvas, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.canvas = canvas
        self.session = canvas.session
        self.qtbot = qtbot
        self.monkeypatch = monkeypatch
        self.menus: list[QMenu] = []

    @property
    def design(self) -> Design:
        assert self.session.design is not None
        return self.session.design

    def node(self, key: str) -> LayerItem:
        """The item for a layer name or 'block:<path>' (fails the test if it is not drawn)."""
        assert key in self.canvas.scene.nodes, f"{key} is not drawn"
        return self.canvas.scene.nodes[key]

    def centre(self, item: LayerItem) -> QPoint:
        """Viewport position of a node's centre (scrolled into view first)."""
        self.canvas.view.centerOn(item)
        return self.canvas.view.mapFromScene(item.pos())

    def click(self, item: LayerItem) -> None:
        self.qtbot.mouseClick(self.canvas.view.viewport(), Qt.MouseButton.LeftButton,
                              pos=self.centre(item))

    def double_click_at(self, pos: QPoint) -> None:
        self.qtbot.mouseDClick(self.canvas.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)

    def right_click(self, item: LayerItem | None = None, pos: QPoint | None = None) -> None:
        """A context-menu request on a node, or at a viewport position."""
        where = self.centre(item) if item is not None else (pos or QPoint(5, 5))
        viewport = self.canvas.view.viewport()
        QApplication.sendEvent(viewport, QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, where, viewport.mapToGlobal(where)))

    def answer_menu(self, path: str | None) -> None:
        """The next menu shown picks entry `path` ('Sub/Entry'); None just records it."""

        def exec_menu(menu: QMenu, _pos: QPoint | QPointF) -> None:
            self.menus.append(menu)
            if path is not None:
                find_action(menu, path).trigger()

        self.monkeypatch.setattr(menus, "exec_menu", exec_menu)

    def menu_entry(self, item: LayerItem | None, path: str) -> None:
        """Right-click `item` (or the background) and choose `path`."""
        self.answer_menu(path)
        self.right_click(item)

    def menu_entry_and_analysis(self, item: LayerItem | None, path: str) -> None:
        """Choose a menu entry that edits, and wait for the background re-analysis."""
        with self.qtbot.waitSignal(self.session.analysis_ready, timeout=20_000):
            self.menu_entry(item, path)

    def wait_analysis(self, edit: Callable[[], object]) -> object:
        with self.qtbot.waitSignal(self.session.analysis_ready, timeout=20_000):
            return edit()

    def distance_from_view_centre(self, item: LayerItem) -> float:
        """On-screen pixels between the view's centre and a node's centre."""
        view = self.canvas.view
        delta = view.mapToScene(view.viewport().rect().center()) - item.pos()
        return float((delta.x() ** 2 + delta.y() ** 2) ** 0.5) * view.zoom


@pytest.fixture
def driver(canvas: NetworkCanvas, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> CanvasDriver:
    return CanvasDriver(canvas, qtbot, monkeypatch)


def find_action(menu: QMenu, path: str) -> QAction:
    """The action reached by a '/'-separated path of menu texts (fails if absent)."""
    *submenus, last = path.split("/")
    for title in submenus:
        found = [a.menu() for a in menu.actions() if a.menu() is not None and a.text() == title]
        assert found, f"no submenu {title!r} in {[a.text() for a in menu.actions()]}"
        menu = found[0]  # type: ignore[assignment]
    actions = [a for a in menu.actions() if a.text() == last]
    assert actions, f"no entry {last!r} in {[a.text() for a in menu.actions()]}"
    return actions[0]


class Gate:
    """Holds every background analysis until `open()`; counts the ones started, so "before"
    and "after" an analysis lands do not depend on how fast this machine is."""

    def __init__(self, real: Callable[..., NetworkAnalysis]) -> None:
        self.real = real
        self.event = threading.Event()
        self.started = 0

    def __call__(self, *args: Any) -> NetworkAnalysis:
        self.started += 1
        assert self.event.wait(60), "the test never released the analysis"
        return self.real(*args)

    def open(self) -> None:
        self.event.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate(analysis_module.analyze)
    monkeypatch.setattr(analysis_module, "analyze", held)
    yield held
    held.open()  # never leave a worker thread waiting


#: open(opener): run `opener() -> Design` through the session's background open
OpenInBackground = Callable[[Callable[[], Design]], None]


@pytest.fixture
def open_bg(qtbot: QtBot, session: DesignSession) -> OpenInBackground:
    """Open through the session's background open, as the model browser does."""
    def open_design(opener: Callable[[], Design]) -> None:
        with qtbot.waitSignal(session.open_finished, timeout=60_000):
            session.open_in_background(lambda _p, _c: opener())
        qtbot.waitUntil(lambda: not session.open_runner.running, timeout=20_000)  # thread ended
    return open_design
