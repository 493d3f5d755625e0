"""Model ▸ Load weights trained by train.py…: a generated script's trained.safetensors (named
after the script's network, e.g. fc.1.weight) goes back into the design as one undoable edit."""

from __future__ import annotations

from pathlib import Path

import pytest
import safetensors.torch
import torch
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from designer.export.codegen.network import network_code
from designer.ui.main_window import MainWindow


def test_script_weights_load_back_into_the_design_as_one_edit(window: MainWindow, qtbot: QtBot,
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    window.session.edit(lambda d: d.replace_head(3, dropout=0.2))  # the script nests fc: fc.1
    design = window.session.design
    assert design is not None
    rename = network_code(design).rename
    before = {k: v.clone() for k, v in design.build().state_dict().items()}
    trained = {k: (v + 0.25 if v.is_floating_point() else v) for k, v in before.items()}
    path = tmp_path / "trained.safetensors"
    safetensors.torch.save_file({rename(k): v.contiguous() for k, v in trained.items()}, str(path))
    assert "fc.1.weight" in safetensors.torch.load_file(str(path))

    model_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Model")
    assert isinstance(model_menu, QMenu)
    action = window.commands["load_script_weights"]
    assert isinstance(action, QAction) and action in model_menu.actions() and action.isEnabled()
    loader = window.commands.script_weights
    monkeypatch.setattr(loader, "ask_path", lambda: path)
    action.trigger()
    qtbot.waitUntil(lambda: not loader.runner.running and design.history.undo_label.startswith("Load"),
                    timeout=60_000)
    assert design.history.undo_label == "Load weights trained by train.py (trained.safetensors)"
    loaded = design.build().state_dict()
    assert all(torch.equal(loaded[k], trained[k]) for k in trained)
    window.session.undo()
    assert all(torch.equal(design.build().state_dict()[k], before[k]) for k in before)


def test_weights_of_another_network_are_refused_with_one_message(window: MainWindow, qtbot: QtBot,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "other.safetensors"
    safetensors.torch.save_file({"head.weight": torch.zeros(2, 4)}, str(path))
    errors: list[str] = []
    window.session.error_occurred.connect(errors.append)
    loader = window.commands.script_weights
    monkeypatch.setattr(loader, "ask_path", lambda: path)
    window.commands["load_script_weights"].trigger()
    qtbot.waitUntil(lambda: bool(errors), timeout=60_000)
    assert errors == [errors[0]] and "was not trained from this design" in errors[0]
    assert "Traceback" not in errors[0]
