"""Opening a model from the browser: weights dialog, progress, offline and unsafe-file recovery."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot

from designer.ui.session import DesignSession
from designer.ui.zoo import Column, ModelBrowser, OfflineChoice, OpenModelDialog
from designer.ui.zoo import opening as opening_module
from designer.ui.zoo.prompts import offline_box
from designer.zoo.entry import ZooEntry
from designer.zoo.errors import CancelledError
from designer.zoo.registry import get_entry

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _answer(choice: str, path: Path | None = None) -> Callable[[OpenModelDialog], bool]:
    """A stand-in for the user: pick an option in the real dialog and press Open."""
    def answer(dialog: OpenModelDialog) -> bool:
        button = {"pretrained": dialog.pretrained, "random": dialog.random,
                  "file": dialog.from_file}[choice]
        button.click()
        if path is not None:
            dialog.path_edit.setText(str(path))
        dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
        return dialog.result() == OpenModelDialog.DialogCode.Accepted
    return answer


def _errors(session: DesignSession) -> list[str]:
    seen: list[str] = []
    session.error_occurred.connect(seen.append)
    return seen


@pytest.fixture
def squeezenet_file(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """A safe weights file (a state_dict) of squeezenet1_1 with recognisable values."""
    model = torchvision.models.squeezenet1_1()
    with torch.no_grad():
        model.classifier[1].bias.fill_(0.25)
    path = tmp_path / "mine.pth"
    torch.save(model.state_dict(), path)
    return path, model.state_dict()


def test_double_click_opens_resnet18_with_random_weights(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    labels: list[str] = []

    def answer(dialog: OpenModelDialog) -> bool:
        labels.append(dialog.pretrained.text())
        return _answer("random")(dialog)

    monkeypatch.setattr(browser.prompts, "choose_weights", answer)
    browser.source_combo.setCurrentIndex(browser.source_combo.findData("torchvision"))
    browser.filter_edit.setText("resnet18")
    rect = browser.table.visualRect(browser.proxy.index(0, Column.NAME))
    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished, \
            qtbot.waitSignal(browser.model_open_requested) as requested:
        # an item view needs the press before the double-click, as from a real mouse
        viewport = browser.table.viewport()
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert labels == ["Pretrained ImageNet weights (download 45 MB)"]
    assert requested.args == ["resnet18", "none"]
    assert finished.args == [True]
    assert session.design is not None
    assert session.design.info.model_name == "resnet18"
    assert session.design.info.weights == "none"
    qtbot.waitUntil(lambda: browser.flow.progress_dialog is None)  # closed once the task ends


def test_offline_download_offers_random_weights(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    errors = _errors(session)
    offered: list[tuple[str, str | None]] = []

    def offline_choice(entry: ZooEntry, message: str, bundled: str | None) -> OfflineChoice:
        offered.append((message, bundled))
        return OfflineChoice.RANDOM

    monkeypatch.setattr(browser.prompts, "choose_weights", _answer("pretrained"))
    monkeypatch.setattr(browser.prompts, "offline_choice", offline_choice)
    browser.select_model("resnet18")
    qtbot.mouseClick(browser.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.design is not None, timeout=60_000)
    assert session.design is not None
    assert (session.design.info.model_name, session.design.info.weights) == ("resnet18", "none")
    assert len(offered) == 1
    message, bundled = offered[0]
    assert "No network" in message
    assert bundled == "EfficientNet-Lite0"
    assert errors == []  # the browser's question replaces the generic error message


def test_offline_then_import_a_weights_file(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        squeezenet_file: tuple[Path, dict[str, torch.Tensor]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, saved = squeezenet_file
    monkeypatch.setattr(browser.prompts, "offline_choice", lambda *_a: OfflineChoice.IMPORT)
    monkeypatch.setattr(browser.prompts, "weights_file", lambda: path)
    browser.flow.start("squeezenet1_1", "pretrained")
    qtbot.waitUntil(lambda: session.design is not None, timeout=60_000)
    assert session.design is not None
    assert session.design.info.weights == str(path)
    assert torch.equal(session.design.state_dict()["classifier.1.bias"], saved["classifier.1.bias"])


def test_cancel_in_the_progress_dialog_stops_the_open(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    errors = _errors(session)

    def slow_open(name: str, weights: object, *, progress: Callable[[float, str], None],
                  cancel: Callable[[], bool], analyse: bool = True,
                  preview: object = None) -> object:
        while not cancel():  # a download stuck at 40 %, reporting as a real one does
            progress(0.4, f"Downloading {name}: 18.0 MB of 44.7 MB")
            time.sleep(0.01)
        raise CancelledError("Download cancelled; nothing was kept.")

    monkeypatch.setattr(opening_module, "open_model", slow_open)
    browser.flow.start("resnet18", "pretrained")
    qtbot.waitUntil(lambda: browser.flow.progress_dialog is not None
                    and browser.flow.progress_dialog.isVisible()
                    and browser.flow.progress_dialog.value() == 400, timeout=10_000)
    dialog = browser.flow.progress_dialog
    assert dialog is not None
    assert "18.0 MB of 44.7 MB" in dialog.labelText()
    with qtbot.waitSignal(session.open_finished, timeout=10_000) as finished:
        qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert finished.args == [False]
    qtbot.waitUntil(lambda: browser.flow.progress_dialog is None)
    assert session.design is None
    assert errors == []


def test_pickled_file_is_loaded_only_after_the_user_trusts_it(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession, tmp_path: Path,
        squeezenet_file: tuple[Path, dict[str, torch.Tensor]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _path, saved = squeezenet_file
    whole = torchvision.models.squeezenet1_1()
    whole.load_state_dict(saved)
    pickled = tmp_path / "whole_model.pt"
    torch.save(whole, pickled)
    asked: list[str] = []
    answers = iter([False, True])

    def confirm(path: Path, message: str) -> bool:
        asked.append(message)
        return next(answers)

    monkeypatch.setattr(browser.prompts, "confirm_unsafe", confirm)
    monkeypatch.setattr(browser.prompts, "choose_weights", _answer("file", pickled))
    browser.select_model("squeezenet1_1")
    with qtbot.waitSignal(session.open_runner.finished, timeout=60_000):
        browser.open_selected()
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert "pickled Python objects" in asked[0]
    assert session.design is None  # declined: nothing opened

    browser.open_selected()
    qtbot.waitUntil(lambda: session.design is not None, timeout=60_000)
    assert session.design is not None
    assert len(asked) == 2
    assert torch.equal(session.design.state_dict()["classifier.1.bias"], saved["classifier.1.bias"])


def test_weights_of_another_model_are_refused_with_the_keys(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        squeezenet_file: tuple[Path, dict[str, torch.Tensor]]) -> None:
    errors = _errors(session)
    with qtbot.waitSignal(session.open_finished, timeout=60_000) as finished:
        browser.flow.start("resnet18", squeezenet_file[0])
    assert finished.args == [False]
    assert len(errors) == 1
    assert "do not fit" in errors[0]
    assert "missing from the file: conv1.weight" in errors[0]  # it names the keys


def test_offline_message_offers_the_bundled_model_only_when_installed(qtbot: QtBot) -> None:
    entry = get_entry("resnet50")
    box, answers = offline_box(None, entry, "No network (test)", "EfficientNet-Lite0")
    qtbot.addWidget(box)
    labels = {button.text(): choice for button, choice in answers.items()}
    assert labels == {"Open with random weights": OfflineChoice.RANDOM,
                      "Import a weights file…": OfflineChoice.IMPORT,
                      "Open the bundled EfficientNet-Lite0": OfflineChoice.BUNDLED}
    assert "98 MB" in box.text()
    box, answers = offline_box(None, entry, "No network (test)", None)
    qtbot.addWidget(box)
    assert OfflineChoice.BUNDLED not in answers.values()


def test_offline_then_open_the_bundled_model(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.prompts, "offline_choice", lambda *_a: OfflineChoice.BUNDLED)
    with qtbot.waitSignal(browser.flow.opened, timeout=60_000) as opened:
        browser.flow.start("resnet50", "pretrained")
    assert opened.args == ["efficientnet_lite0_bundled"]
    assert session.design is not None
    assert session.design.info.weights == "bundled"
    assert session.design.info.class_names[:1] == ("tench",)


def test_enter_key_opens_the_current_model(qtbot: QtBot, browser: ModelBrowser,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []

    def decline(dialog: OpenModelDialog) -> bool:
        shown.append(dialog.entry.name)
        return False

    monkeypatch.setattr(browser.prompts, "choose_weights", decline)
    browser.select_model("alexnet")
    browser.table.setFocus()
    qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert shown == ["alexnet"]


def test_an_open_rereads_only_the_opened_models_state(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After an open the row of the opened model shows what is now on disk (a download makes
    it "cached"), without a file check per zoo model on the GUI thread."""
    from designer.ui.zoo import table_model as table_module

    read: list[list[str]] = []
    real = table_module.machine_state

    def counted(entries: list[ZooEntry]) -> object:
        read.append([e.name for e in entries])
        return real(entries)

    monkeypatch.setattr(table_module, "machine_state", counted)
    monkeypatch.setattr(table_module, "weights_status",
                        lambda e: "cached" if e.name == "squeezenet1_1" else "download")
    changed: list[int] = []
    browser.table_model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    with qtbot.waitSignal(browser.flow.opened, timeout=60_000):
        browser.flow.start("squeezenet1_1", "none")
    assert read == [["squeezenet1_1"]]
    row = browser.table_model.row_of("squeezenet1_1")
    assert changed == [row]
    assert browser.table_model.index(row, Column.WEIGHTS).data() == "cached"
    with qtbot.waitSignal(browser.flow.opened, timeout=60_000):
        browser.flow.start("squeezenet1_1", "none")
    assert changed == [row], "nothing changed on disk: no redraw of the table and chart"
