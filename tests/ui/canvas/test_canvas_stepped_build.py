"""A big graph ("Expand all" on maxvit_t) is built in steps between events, and ends up the same
scene a one-go build makes. resnet18 stands in for the big model: the tests lower the size from
which the scene builds in steps and the chunk size, so the same code path runs on a small graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from designer.ui.canvas import build
from designer.ui.canvas import scene as scene_module
from designer.ui.canvas.node_item import LayerItem
from designer.ui.canvas.scene import NetworkScene

if TYPE_CHECKING:
    from conftest import CanvasDriver


@pytest.fixture
def stepped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build every graph of 20 nodes or more in steps of one chunk of 4 items (no time budget:
    the tests must not depend on how fast this machine is)."""
    monkeypatch.setattr(scene_module, "STEPPED_FROM", 20)
    monkeypatch.setattr(scene_module, "STEP_BUDGET_S", 0.0)
    monkeypatch.setattr(build.Build, "CHUNK", 4)


def picture(scene: NetworkScene) -> tuple[object, ...]:
    """What the user sees: nodes (text and position), edges with their lanes, block frames."""
    built = scene.built
    nodes = {key: (item.texts, item.pos().x(), item.pos().y()) for key, item in built.nodes.items()}
    edges = {pair: edge.lane for pair, edge in built.edges.items()}
    frames = {path: [m.key for m in frame.members] for path, frame in built.frames.items()}
    return nodes, edges, frames, dict(built.node_of), scene.sceneRect().getRect()


def wait_built(qtbot: QtBot, scene: NetworkScene) -> None:
    qtbot.waitUntil(lambda: not scene.building, timeout=20_000)


def test_expand_all_builds_in_steps_and_ends_with_every_layer(
        driver: CanvasDriver, qtbot: QtBot, stepped: None) -> None:
    scene = driver.canvas.scene
    with qtbot.waitSignal(scene.rebuilt, timeout=20_000):
        driver.canvas.actions_by_name["expand_all"].trigger()
        assert scene.building, "a graph this size (with the lowered threshold) builds in steps"
        partial = len(scene.built.nodes)
        assert partial < len(scene.visible.members), "not every item was made in the click"
    shown = sorted(ly.name for ly in driver.design.network if not ly.plumbing)
    assert sorted(scene.built.nodes) == shown
    assert set(scene.built.edges) == set(scene.visible.graph.edges)
    stepped_picture = picture(scene)
    scene.rebuild()  # the same state again, now stepped too: must give the same picture
    wait_built(qtbot, scene)
    assert picture(scene) == stepped_picture
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scene_module, "STEPPED_FROM", 10_000)
        scene.rebuild()  # one go
        assert not scene.building
        assert picture(scene) == stepped_picture


def test_reading_the_scene_during_a_stepped_build_completes_it(
        driver: CanvasDriver, stepped: None) -> None:
    scene = driver.canvas.scene
    scene.expand_all()
    assert scene.building
    item = scene.item_for_layer("layer4_1_conv2")
    assert item is not None and item.texts[0] == "layer4_1_conv2"
    assert not scene.building
    assert len(scene.nodes) == len(scene.visible.members)


def test_collapse_all_during_a_stepped_expand_leaves_only_the_collapsed_scene(
        driver: CanvasDriver, qtbot: QtBot, stepped: None) -> None:
    scene = driver.canvas.scene
    scene.collapse_all()
    collapsed_keys = sorted(scene.nodes)
    scene.expand_all()
    QApplication.processEvents()  # a step runs
    assert scene.building
    scene.collapse_all()  # a small graph: built at once, the stepped build is dropped
    assert not scene.building
    assert sorted(scene.nodes) == collapsed_keys
    qtbot.wait(50)
    drawn = [i for i in scene.items() if isinstance(i, LayerItem)]
    assert len(drawn) == len(collapsed_keys), "no item of the dropped build is left behind"


def test_selection_made_elsewhere_reaches_a_scene_still_building(
        driver: CanvasDriver, stepped: None) -> None:
    scene = driver.canvas.scene
    scene.expand_all()
    assert scene.building
    driver.session.select(["layer3_0_conv1"])
    assert not scene.building
    assert [i.key for i in scene.selectedItems()] == ["layer3_0_conv1"]
