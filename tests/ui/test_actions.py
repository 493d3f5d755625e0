"""One action table: every place offers the same QAction, with one default and one rule for
when it is enabled (the design lock, the selection, whether it would change anything)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolBar
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, prepare_data
from designer.ui.canvas import dialogs, menus
from designer.ui.main_window import MainWindow


def _menu_actions(window: MainWindow, title: str) -> list[QAction]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
    assert isinstance(menu, QMenu)
    return menu.actions()


def _context_menu(window: MainWindow, monkeypatch: pytest.MonkeyPatch,
                  node: str | None) -> list[QAction]:
    shown: list[QMenu] = []
    monkeypatch.setattr(menus, "exec_menu", lambda menu, _pos: shown.append(menu))
    view = window.canvas.view
    if node is None:
        menus.exec_menu(menus.background_menu(view), view.mapToGlobal(view.rect().center()))
    else:
        item = window.canvas.scene.nodes[node]
        window.canvas.scene.clearSelection()
        item.setSelected(True)
        menus.exec_menu(menus.node_menu(view, item), view.mapToGlobal(view.rect().center()))
    return shown[-1].actions()


def test_replace_head_is_one_action_everywhere_with_the_data_classes_as_default(
        window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    action = window.commands["replace_head"]
    toolbar = window.findChild(QToolBar, "main_toolbar")
    assert isinstance(toolbar, QToolBar)
    places = [_menu_actions(window, "&Model"), toolbar.actions(),
              _context_menu(window, monkeypatch, "conv1"),
              _context_menu(window, monkeypatch, None)]
    for actions in places:
        assert action in actions, "every place reuses the one QAction"
    asked: list[tuple[Any, ...]] = []
    monkeypatch.setattr(dialogs, "ask_replace_head", lambda *a: asked.append(a[1:]) or None)
    action.trigger()
    assert asked[-1] == (1000, ()), "without data: the current output width"
    design = window.session.design
    assert design is not None
    data = prepare_data(DataConfig(source="sample:shapes", image_size=32),
                        design.info.preprocessing)
    window.workspace.set_data(data)
    action.trigger()
    assert asked[-1] == (len(data.classes), tuple(data.classes)), "with data: the data's classes"
    fit = window.commands["fit_head_to_data"]
    assert fit.isEnabled()
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        fit.trigger()
    assert design.info.class_names == tuple(data.classes)


def test_freeze_and_unfreeze_are_enabled_only_when_they_would_change_something(
        window: MainWindow, qtbot: QtBot) -> None:
    freeze, unfreeze = window.commands["freeze"], window.commands["unfreeze"]
    backbone, thaw_all = window.commands["freeze_backbone"], window.commands["unfreeze_all"]
    assert not freeze.isEnabled() and not unfreeze.isEnabled(), "nothing selected"
    assert backbone.isEnabled() and not thaw_all.isEnabled(), "nothing is frozen yet"
    window.session.select(["conv1", "bn1"])
    assert freeze.isEnabled() and not unfreeze.isEnabled()
    assert freeze.text() == "Freeze 2 layers"
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        freeze.trigger()
    assert not freeze.isEnabled() and unfreeze.isEnabled()
    assert thaw_all.isEnabled()
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        backbone.trigger()
    assert not backbone.isEnabled(), "the backbone is frozen: freezing it again does nothing"


def test_the_design_lock_disables_every_edit_in_one_place(window: MainWindow) -> None:
    window.session.select(["conv1"])
    editing = ["undo", "replace_head", "freeze", "set_lr_factor", "delete", "freeze_backbone"]
    window.session.edit(lambda d: d.set_frozen(["relu"], True))
    assert all(window.commands[i].isEnabled() for i in editing)
    window.session.set_locked(True)
    assert not any(window.commands[i].isEnabled() for i in editing)
    assert window.commands["freeze"].toolTip() == "Locked while this design trains"
    window.session.set_locked(False)
    assert all(window.commands[i].isEnabled() for i in editing)


def test_the_file_menu_is_built_from_the_window_table(window: MainWindow) -> None:
    from designer.ui.actions import WINDOW_TABLE

    file_actions = [a for a in _menu_actions(window, "&File") if a.menu() is None
                    and not a.isSeparator()]
    model_menu = {"find_model", "analyze_compression", "prune"}
    table = {spec.id for spec in WINDOW_TABLE} - {"about"} - model_menu  # Help, Model menus
    assert file_actions == [window.window_commands[i] for i in (
        "new_project", "open_model", "open_model_file", "open_project", "save_project",
        "save_project_as", "export_model", "generate_script", "quit")]
    assert {i for i, a in window.window_commands.items() if a in file_actions} == table
    assert all(window.window_commands[i] in _menu_actions(window, "&Model") for i in model_menu)
