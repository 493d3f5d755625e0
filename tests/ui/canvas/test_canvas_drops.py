"""Dragging a layer kind from the library onto the canvas inserts it where it is dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from designer.ui.canvas.edge_item import EdgeItem
from designer.ui.mime import LAYER_KIND_MIME

if TYPE_CHECKING:
    from conftest import CanvasDriver

COPY = Qt.DropAction.CopyAction


def _mime(kind: str, fmt: str = LAYER_KIND_MIME) -> QMimeData:
    data = QMimeData()
    data.setData(fmt, kind.encode("utf-8"))
    return data


def _drag_and_drop(driver: CanvasDriver, pos: QPoint, mime: QMimeData) -> QDropEvent:
    viewport = driver.canvas.view.viewport()
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(viewport, QDragEnterEvent(pos, COPY, mime, buttons, mods))
    QApplication.sendEvent(viewport, QDragMoveEvent(pos, COPY, mime, buttons, mods))
    drop = QDropEvent(QPointF(pos), COPY, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    return drop


def _middle_of(driver: CanvasDriver, edge: EdgeItem) -> QPoint:
    point = edge.path().pointAtPercent(0.5)
    driver.canvas.view.centerOn(point)
    return driver.canvas.view.mapFromScene(point)


def test_dropping_on_an_edge_inserts_between_its_two_nodes(driver: CanvasDriver) -> None:
    edge = driver.canvas.scene.edges[("flatten", "fc")]
    with driver.qtbot.waitSignal(driver.session.analysis_ready, timeout=20_000):
        drop = _drag_and_drop(driver, _middle_of(driver, edge), _mime("Dropout"))
    assert drop.isAccepted()
    network = driver.design.network
    new = network["fc"].inputs[0]
    assert network[new].kind == "Dropout" and network[new].inputs == ["flatten"]
    scene = driver.canvas.scene
    assert ("flatten", new) in scene.edges and (new, "fc") in scene.edges
    assert driver.session.selection == [new]


def test_dropping_between_two_blocks_feeds_every_reader_in_the_second(driver: CanvasDriver) -> None:
    edge = driver.canvas.scene.edges[("block:layer1.0", "block:layer1.1")]
    with driver.qtbot.waitSignal(driver.session.analysis_ready, timeout=20_000):
        _drag_and_drop(driver, _middle_of(driver, edge), _mime("BatchNorm2d"))
    network = driver.design.network
    new = [ly for ly in network if ly.name not in edge.source.view.members
           and ly.inputs == ["layer1_0_relu_1"]]
    assert len(new) == 1 and new[0].kind == "BatchNorm2d"
    readers = network.consumers(new[0].name)
    assert set(readers) == {"layer1_1_conv1", "add_1"}, "main path and residual both read it"
    assert driver.session.analysis is not None and driver.session.analysis.ok


def test_dropping_on_a_node_inserts_after_it(driver: CanvasDriver) -> None:
    with driver.qtbot.waitSignal(driver.session.analysis_ready, timeout=20_000):
        _drag_and_drop(driver, driver.centre(driver.node("bn1")), _mime("ReLU"))
    network = driver.design.network
    new = network["relu"].inputs[0]
    assert network[new].kind == "ReLU" and network[new].inputs == ["bn1"]


def test_the_target_is_highlighted_while_dragging(driver: CanvasDriver) -> None:
    edge = driver.canvas.scene.edges[("conv1", "bn1")]
    pos = _middle_of(driver, edge)
    viewport = driver.canvas.view.viewport()
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    mime = _mime("Dropout")
    QApplication.sendEvent(viewport, QDragEnterEvent(pos, COPY, mime, buttons, mods))
    move = QDragMoveEvent(pos, COPY, mime, buttons, mods)
    QApplication.sendEvent(viewport, move)
    assert move.isAccepted() and edge.highlight
    driver.canvas.view.drops.leave()
    assert not edge.highlight


def test_other_drags_and_unknown_kinds_change_nothing(driver: CanvasDriver) -> None:
    messages: list[str] = []
    driver.session.error_occurred.connect(messages.append)
    before = driver.design.network.names
    pos = driver.centre(driver.node("bn1"))
    _drag_and_drop(driver, pos, _mime("Dropout", fmt="text/plain"))
    assert driver.design.network.names == before
    drop = _drag_and_drop(driver, pos, _mime("NoSuchLayer"))
    assert not drop.isAccepted()
    assert driver.design.network.names == before
    assert messages and "NoSuchLayer" in messages[-1]
