"""Transfer-learning surgery with the right mouse button: every edit lands in the document, the
analysis and the drawing, and undo takes it back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import torch
from PySide6.QtCore import QPointF, Qt

from designer.ui.canvas import dialogs

if TYPE_CHECKING:
    from conftest import CanvasDriver


def test_replace_final_layer_for_five_classes(driver: CanvasDriver,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int | None] = []

    def answer(_parent: object, classes: int | None = None, names: tuple[str, ...] = ()
               ) -> dialogs.HeadChoice:
        asked.append(classes)
        return dialogs.HeadChoice(5)

    monkeypatch.setattr(dialogs, "ask_replace_head", answer)
    driver.menu_entry_and_analysis(driver.node("fc"), "Replace final layers…")
    assert asked == [1000], "the dialog starts from the current number of classes"
    assert driver.session.analysis is not None
    assert driver.session.analysis.output_shape == (1, 5)
    assert driver.node("fc").texts[2] == "5"
    assert driver.node("output").texts[2] == "5"
    assert driver.design.build()(torch.randn(2, 3, 64, 64)).shape == (2, 5)


def test_class_names_and_dropout_reach_the_design(driver: CanvasDriver,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs, "ask_replace_head",
                        lambda *_a: dialogs.HeadChoice(3, ("cat", "dog", "bird"), 0.3))
    driver.menu_entry_and_analysis(None, "Replace final layers…")
    assert driver.design.info.class_names == ("cat", "dog", "bird")
    dropouts = [ly for ly in driver.design.network if ly.kind == "Dropout"]
    assert [ly.params.get("p") for ly in dropouts] == [0.3]
    assert dropouts[0].name in driver.canvas.scene.nodes
    assert driver.node("fc").texts[2] == "3"


def test_cancelling_the_dialog_changes_nothing(driver: CanvasDriver,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs, "ask_replace_head", lambda *_a: None)
    driver.menu_entry(driver.node("fc"), "Replace final layers…")
    assert not driver.design.history.can_undo


def test_freeze_up_to_layer3_draws_frozen_nodes_and_undo_restores(driver: CanvasDriver) -> None:
    before = driver.session.analysis
    assert before is not None
    block = driver.node("block:layer3.1")
    driver.menu_entry_and_analysis(block, "Freeze up to here")
    frozen = {key for key, item in driver.canvas.scene.nodes.items() if item.frozen}
    expected = {"conv1", "bn1", "relu", "maxpool"} | {
        f"block:layer{i}.{j}" for i in (1, 2, 3) for j in (0, 1)}
    assert frozen == expected
    assert not driver.node("block:layer4.0").partly_frozen
    frozen_params = sum(ly.num_params for ly in driver.design.network if ly.frozen)
    after = driver.session.analysis
    assert after is not None
    assert frozen_params > 0
    assert before.trainable_params - after.trainable_params == frozen_params
    driver.wait_analysis(driver.session.undo)
    assert not any(item.frozen or item.partly_frozen for item in driver.canvas.scene.nodes.values())
    assert driver.session.analysis is not None
    assert driver.session.analysis.trainable_params == before.trainable_params


def test_a_shape_breaking_delete_marks_the_next_layer_red(driver: CanvasDriver) -> None:
    driver.menu_entry_and_analysis(driver.node("conv1"), "Delete")
    assert "conv1" not in driver.design.network
    bn1 = driver.node("bn1")
    assert bn1.has_error
    assert bn1.texts[2].startswith("⚠")
    assert "bn1 expects 64 features, but x gives 3" in bn1.toolTip(), "plain words, both layers"
    assert not driver.node("relu").has_error, "only the failing layer is red"
    driver.wait_analysis(driver.session.undo)
    assert not driver.node("bn1").has_error


def test_freeze_and_unfreeze_act_on_every_selected_layer(driver: CanvasDriver) -> None:
    driver.node("conv1").setSelected(True)
    driver.node("bn1").setSelected(True)
    driver.menu_entry_and_analysis(driver.node("bn1"), "Freeze 2 layers")
    assert driver.node("conv1").frozen and driver.node("bn1").frozen
    assert not driver.node("relu").frozen
    driver.menu_entry_and_analysis(driver.node("conv1"), "Unfreeze 2 layers")
    assert not driver.node("conv1").frozen and not driver.node("bn1").frozen


def test_deleting_three_selected_layers_is_one_undo_step(driver: CanvasDriver) -> None:
    analyses: list[object] = []
    selections: list[list[str]] = []
    driver.session.document_changed.connect(analyses.append)
    for name in ("bn1", "relu", "maxpool"):
        driver.node(name).setSelected(True)
    driver.session.selection_changed.connect(selections.append)
    driver.menu_entry_and_analysis(driver.node("relu"), "Delete 3 layers")
    assert not {"bn1", "relu", "maxpool"} & set(driver.design.network.names)
    assert analyses == [None], "one gesture, one change for the views"
    assert selections[-1] == [] and driver.session.selection == [], \
        "the status bar's 'Selected: 3 layers' must not outlive the layers"
    assert driver.design.history.undo_label == "Delete 3 layers"
    driver.wait_analysis(driver.session.undo)
    assert {"bn1", "relu", "maxpool"} <= set(driver.design.network.names)
    assert not driver.design.history.can_undo


def test_unfreeze_from_here_after_freezing_the_backbone(driver: CanvasDriver) -> None:
    driver.wait_analysis(lambda: driver.session.edit(lambda d: d.freeze_backbone()))
    assert driver.node("block:layer4.1").frozen
    driver.menu_entry_and_analysis(driver.node("block:layer4.0"), "Unfreeze from here")
    assert driver.node("block:layer3.1").frozen
    assert not driver.node("block:layer4.0").frozen and not driver.node("block:layer4.1").frozen


def test_a_block_with_some_frozen_layers_is_drawn_partly_frozen(driver: CanvasDriver) -> None:
    driver.wait_analysis(lambda: driver.session.edit(lambda d: d.set_frozen(["layer2_0_conv1"], True)))
    block = driver.node("block:layer2.0")
    assert block.partly_frozen and not block.frozen
    assert "partly frozen" in block.texts[1]
    driver.menu_entry_and_analysis(block, "Freeze block")
    assert block.frozen
    driver.menu_entry_and_analysis(block, "Unfreeze block")
    assert not block.frozen and not block.partly_frozen


def test_learning_rate_factor_from_the_menu(driver: CanvasDriver,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs, "ask_lr_factor", lambda _parent, current: 0.1 * current)
    driver.menu_entry_and_analysis(driver.node("fc"), "Set learning-rate factor…")
    assert driver.design.network["fc"].lr_factor == pytest.approx(0.1)
    assert "lr ×0.1" in driver.node("fc").texts[2]


def test_insert_and_replace_from_the_layer_library_submenus(driver: CanvasDriver) -> None:
    driver.menu_entry_and_analysis(driver.node("flatten"), "Insert layer after/Regularisation/Dropout")
    network = driver.design.network
    added = [ly for ly in network if ly.kind == "Dropout"]
    assert len(added) == 1
    assert added[0].inputs == ["flatten"] and network["fc"].inputs == [added[0].name]
    assert driver.session.selection == [added[0].name]
    assert (added[0].name, "fc") in driver.canvas.scene.edges
    driver.menu_entry_and_analysis(driver.node("relu"), "Replace with/Activation/GELU")
    assert network["relu"].kind == "GELU"
    assert driver.node("relu").texts[1] == "GELU"
    assert driver.session.analysis is not None and driver.session.analysis.ok


def test_input_and_output_cannot_be_deleted_or_replaced(driver: CanvasDriver) -> None:
    driver.menu_entry(driver.node("x"), "Delete")
    menu = driver.menus[-1]
    entries = {a.text(): a.isEnabled() for a in menu.actions() if a.text()}
    assert entries["Delete"] is False and entries["Replace with"] is False
    assert "x" in driver.design.network


def test_a_refused_edit_is_a_message_not_an_exception(driver: CanvasDriver,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    messages: list[str] = []
    driver.session.error_occurred.connect(messages.append)
    monkeypatch.setattr(dialogs, "ask_replace_head", lambda *_a: dialogs.HeadChoice(2, ("a", "b", "c")))
    driver.menu_entry(driver.node("fc"), "Replace final layers…")
    assert messages and "class names" in messages[-1]
    assert driver.session.analysis is not None and driver.session.analysis.output_shape == (1, 1000)


def test_background_menu_auto_arrange_and_collapse_all(driver: CanvasDriver) -> None:
    item = driver.node("bn1")
    home = QPointF(item.pos())
    item.setPos(home + QPointF(300, 40))
    item.follow()
    driver.menu_entry(None, "Auto-arrange")
    assert driver.node("bn1").pos() == home
    edge = driver.canvas.scene.edges[("conv1", "bn1")]
    assert edge.path().pointAtPercent(1.0) == driver.node("bn1").in_port(), "edges follow"
    driver.menu_entry(None, "Collapse all")
    assert "block:layer1" in driver.canvas.scene.nodes
    driver.menu_entry(None, "Expand all")
    assert "layer1_0_conv1" in driver.canvas.scene.nodes


def test_collapse_block_from_a_layer_menu(driver: CanvasDriver) -> None:
    driver.canvas.scene.expand_block("layer1.0")
    driver.menu_entry(driver.node("layer1_0_bn1"), "Collapse block layer1.0")
    assert "block:layer1.0" in driver.canvas.scene.nodes
    driver.menu_entry(driver.node("block:layer1.0"), "Collapse block layer1")
    assert "block:layer1" in driver.canvas.scene.nodes
    assert "block:layer1.0" not in driver.canvas.scene.nodes
    driver.menu_entry(driver.node("block:layer1"), "Expand block")
    assert {"block:layer1.0", "block:layer1.1"} <= set(driver.canvas.scene.nodes)


def test_while_training_edits_are_disabled_but_viewing_works(driver: CanvasDriver) -> None:
    driver.session.set_locked(True)
    driver.menu_entry(driver.node("block:layer1.0"), "Expand block")
    assert "layer1_0_conv1" in driver.canvas.scene.nodes, "expanding is not an edit"
    menu = driver.menus[-1]
    enabled = {a.text(): a.isEnabled() for a in menu.actions() if a.text()}
    assert enabled["Freeze block"] is False and enabled["Insert layer after"] is False
    driver.menu_entry(driver.node("conv1"), "Freeze")  # disabled: triggering does nothing
    assert not driver.design.network["conv1"].frozen
    driver.session.set_locked(False)
    driver.menu_entry_and_analysis(driver.node("conv1"), "Freeze")
    assert driver.design.network["conv1"].frozen


def test_delete_key_removes_the_selected_layer_and_escape_clears(driver: CanvasDriver) -> None:
    view = driver.canvas.view
    driver.click(driver.node("relu"))
    view.setFocus()
    with driver.qtbot.waitSignal(driver.session.analysis_ready, timeout=20_000):
        driver.qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "relu" not in driver.design.network
    assert driver.design.network["maxpool"].inputs == ["bn1"]
    driver.click(driver.node("bn1"))
    driver.qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert driver.session.selection == []


def test_right_clicking_an_edge_inserts_a_layer_on_it(driver: CanvasDriver) -> None:
    """Users right-click the arrow between two layers to put something there."""
    edge = driver.canvas.scene.edges[("flatten", "fc")]
    point = edge.path().pointAtPercent(0.5)
    driver.canvas.view.centerOn(point)
    driver.answer_menu("Insert layer here/Regularisation/Dropout")
    with driver.qtbot.waitSignal(driver.session.analysis_ready, timeout=20_000):
        driver.right_click(pos=driver.canvas.view.mapFromScene(point))
    network = driver.design.network
    new = network["fc"].inputs[0]
    assert network[new].kind == "Dropout" and network[new].inputs == ["flatten"]
    assert driver.session.selection == [new]
    assert "Fit" in [a.text() for a in driver.menus[-1].actions()]  # view commands still there
