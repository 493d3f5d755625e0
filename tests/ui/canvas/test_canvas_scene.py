"""What the canvas shows for resnet18 and how blocks open, close, select, zoom and get found."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from designer.core.grouping import default_collapsed

if TYPE_CHECKING:
    from conftest import CanvasDriver

# the find box's completion popup asks the offscreen platform for things it cannot do
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise",
                                       "This plugin does not support grabbing the keyboard")


def test_resnet18_opens_with_its_residual_blocks_collapsed(driver: CanvasDriver) -> None:
    nodes = driver.canvas.scene.nodes
    expected = default_collapsed(driver.design.network)
    assert expected, "resnet18 is large enough to open collapsed"
    assert {key.removeprefix("block:") for key in nodes if key.startswith("block:")} == expected
    assert "layer1_0_conv1" not in nodes
    first = driver.node("block:layer1.0")
    layers = [n for n in first.view.members if not driver.design.network[n].plumbing]
    assert first.texts == ("layer1.0", f"{len(layers)} layers", "64×16×16")


def test_layer_nodes_show_name_kind_and_output_shape(driver: CanvasDriver) -> None:
    assert driver.node("conv1").texts == ("conv1", "Conv2d", "64×32×32")
    assert driver.node("fc").texts == ("fc", "Linear", "1000")
    scene = driver.canvas.scene
    assert len(scene.edges) == len(scene.nodes) - 1, "a chain once the residual blocks fold"


def test_double_click_expands_a_block_and_its_frame_collapses_it(driver: CanvasDriver) -> None:
    scene = driver.canvas.scene
    before = len(scene.nodes)
    driver.double_click_at(driver.centre(driver.node("block:layer2.0")))
    assert "block:layer2.0" not in scene.nodes
    for name in ("layer2_0_conv1", "layer2_0_bn2", "layer2_0_downsample_0", "add_2"):
        driver.node(name)
    assert len(scene.nodes) > before
    frame = scene.built.frames["layer2.0"]
    corner = driver.canvas.view.mapFromScene(frame.box().topLeft() + QPointF(4, 4))
    driver.double_click_at(corner)
    assert "block:layer2.0" in scene.nodes
    assert len(scene.nodes) == before


def test_expand_all_and_collapse_all_from_the_toolbar(driver: CanvasDriver) -> None:
    canvas = driver.canvas
    canvas.actions_by_name["expand_all"].trigger()
    shown = [ly.name for ly in driver.design.network if not ly.plumbing]
    assert sorted(canvas.scene.nodes) == sorted(shown)
    canvas.actions_by_name["collapse_all"].trigger()
    assert {"block:layer1", "block:layer4"} <= set(canvas.scene.nodes)
    assert len(canvas.scene.nodes) < 15


def test_selection_reaches_the_session_and_comes_back(driver: CanvasDriver) -> None:
    session, scene = driver.session, driver.canvas.scene
    driver.click(driver.node("bn1"))
    assert session.selection == ["bn1"]
    block = driver.node("block:layer3.1")
    driver.click(block)
    assert session.selection == list(block.view.members)
    driver.canvas.view.centerOn(driver.node("conv1"))
    session.select(["layer4_0_conv2"])  # e.g. a click in the analyzer's table
    item = scene.item_for_layer("layer4_0_conv2")
    assert item is not None and item.key == "layer4_0_conv2", "its block was opened"
    assert item.isSelected() and not driver.node("bn1").isSelected()
    assert driver.distance_from_view_centre(item) < 20, "the view centres on it"


def test_rubber_band_selects_the_nodes_it_covers(driver: CanvasDriver) -> None:
    view = driver.canvas.view
    top, bottom = driver.node("conv1"), driver.node("relu")
    view.centerOn(driver.node("bn1"))
    start = view.mapFromScene(top.pos() + QPointF(-top.width / 2 - 30, -5))
    end = view.mapFromScene(bottom.pos() + QPointF(top.width / 2 + 30, 5))
    viewport = view.viewport()
    driver.qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        point = start + (end - start) * (step / 5)
        QApplication.sendEvent(viewport, _mouse_move(viewport, point))
    driver.qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert driver.session.selection == ["conv1", "bn1", "relu"]


def test_ctrl_f_finds_selects_and_centres_a_hidden_layer(driver: CanvasDriver) -> None:
    canvas, qtbot = driver.canvas, driver.qtbot
    canvas.view.setFocus()
    qtbot.keyClick(canvas.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert canvas.find_box.hasFocus()
    qtbot.keyClicks(canvas.find_box, "layer3_1_conv2")
    qtbot.keyClick(canvas.find_box, Qt.Key.Key_Return)
    assert driver.session.selection == ["layer3_1_conv2"]
    item = driver.node("layer3_1_conv2")
    assert item.isSelected()
    assert driver.distance_from_view_centre(item) < 20
    assert canvas.view.zoom >= 0.5, "readable after finding"


def test_find_matches_part_of_a_name_and_says_when_nothing_matches(driver: CanvasDriver) -> None:
    canvas, qtbot = driver.canvas, driver.qtbot
    messages: list[str] = []
    driver.session.status.connect(messages.append)
    qtbot.keyClicks(canvas.find_box, "DOWNSAMPLE")
    qtbot.keyClick(canvas.find_box, Qt.Key.Key_Return)
    assert driver.session.selection == ["layer2_0_downsample_0"]
    canvas.find_box.clear()
    qtbot.keyClicks(canvas.find_box, "no_such_layer")
    qtbot.keyClick(canvas.find_box, Qt.Key.Key_Return)
    assert driver.session.selection == ["layer2_0_downsample_0"]
    assert messages and "no_such_layer" in messages[-1]


def test_zoom_with_ctrl_wheel_buttons_keys_and_fit(driver: CanvasDriver) -> None:
    canvas, view = driver.canvas, driver.canvas.view
    start = view.zoom
    canvas.actions_by_name["zoom_in"].trigger()
    assert view.zoom > start
    canvas.actions_by_name["zoom_out"].trigger()
    canvas.actions_by_name["zoom_out"].trigger()
    assert view.zoom < start
    before = view.zoom
    centre = view.viewport().rect().center()
    QApplication.sendEvent(view.viewport(), QWheelEvent(
        QPointF(centre), QPointF(view.viewport().mapToGlobal(centre)), QPoint(), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase, False))
    assert view.zoom > before
    view.setFocus()
    driver.qtbot.keyClick(view, Qt.Key.Key_F)
    whole = view.mapFromScene(canvas.scene.graph_rect()).boundingRect()
    assert view.viewport().rect().adjusted(-2, -2, 2, 2).contains(whole)


def test_plain_wheel_scrolls_instead_of_zooming(driver: CanvasDriver) -> None:
    view = driver.canvas.view
    zoom, scrolled = view.zoom, view.verticalScrollBar().value()
    centre = view.viewport().rect().center()
    QApplication.sendEvent(view.viewport(), QWheelEvent(
        QPointF(centre), QPointF(view.viewport().mapToGlobal(centre)), QPoint(), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False))
    assert view.zoom == zoom
    assert view.verticalScrollBar().value() > scrolled


def test_an_attribute_edit_refreshes_nodes_without_rebuilding(driver: CanvasDriver) -> None:
    conv1, bn1 = driver.node("conv1"), driver.node("bn1")
    driver.wait_analysis(lambda: driver.session.edit(lambda d: d.set_frozen(["conv1"], True)))
    assert driver.canvas.scene.nodes["conv1"] is conv1
    assert conv1.frozen and not bn1.frozen


def _mouse_move(widget: QApplication | object, pos: QPoint) -> object:
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(pos), QPointF(pos),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)


def test_a_design_opened_before_layout_gets_its_opening_view_once_sized(
        driver: CanvasDriver) -> None:
    canvas, view = driver.canvas, driver.canvas.view
    canvas.resize(300, 120)  # e.g. shown in a window that is still being laid out
    driver.session.set_design(driver.design)
    canvas.resize(1000, 800)
    top = canvas.scene.graph_rect().top()
    assert view.zoom >= 0.6, "readable, not fitted into the tiny first size"
    assert view.mapToScene(view.viewport().rect().topLeft()).y() <= top + 60, "starts at the input"
    canvas.actions_by_name["zoom_in"].trigger()
    zoom = view.zoom
    canvas.resize(900, 700)
    assert view.zoom == zoom, "after the user zooms, resizing keeps their view"


def test_an_empty_canvas_answers_every_gesture_without_error(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from designer.ui.canvas import NetworkCanvas, menus
    from designer.ui.session import DesignSession

    session = DesignSession()
    canvas = NetworkCanvas(session)
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    shown: list[list[bool]] = []
    monkeypatch.setattr(menus, "exec_menu",
                        lambda menu, _pos: shown.append([a.isEnabled() for a in menu.actions()
                                                         if a.text()]))
    viewport = canvas.view.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, QPoint(10, 10), viewport.mapToGlobal(QPoint(10, 10))))
    assert shown and not any(shown[0]), "nothing to act on yet"
    for action in canvas.actions_by_name.values():
        action.trigger()
    qtbot.keyClick(canvas.view, Qt.Key.Key_F)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert not canvas.view.find_layer("conv1")
    assert canvas.scene.nodes == {}
    session.shutdown()


def test_one_click_on_a_frames_name_tab_collapses_the_block(driver: CanvasDriver) -> None:
    scene, view = driver.canvas.scene, driver.canvas.view
    before = len(scene.nodes)
    driver.double_click_at(driver.centre(driver.node("block:layer2.0")))
    frame = scene.built.frames["layer2.0"]
    tab = frame.tab()
    assert tab.height() >= 20 and tab.width() >= 200, "a target a hand can hit, not 10 px"
    view.centerOn(tab.center())
    # anywhere on the tab, e.g. its far left end, well away from the name text
    driver.qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                            pos=view.mapFromScene(tab.topLeft() + QPointF(10, tab.height() / 2)))
    assert "block:layer2.0" in scene.nodes, "one click collapses it"
    assert len(scene.nodes) == before
    assert "layer2_0_conv1" not in scene.nodes


def test_double_clicking_the_tab_collapses_once_and_does_not_reopen(driver: CanvasDriver) -> None:
    scene, view = driver.canvas.scene, driver.canvas.view
    driver.double_click_at(driver.centre(driver.node("block:layer2.0")))
    tab = scene.built.frames["layer2.0"].tab()
    view.centerOn(tab.center())
    driver.double_click_at(view.mapFromScene(tab.center()))
    assert "block:layer2.0" in scene.nodes and "layer2_0_conv1" not in scene.nodes
