"""The replace-head dialog accepts only input `Design.replace_head` can use."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from designer.ui.canvas.dialogs import HeadChoice, ReplaceHeadDialog


def _ok_enabled(dialog: ReplaceHeadDialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_number_of_classes_with_optional_dropout(qtbot: QtBot) -> None:
    dialog = ReplaceHeadDialog(None, classes=1000)
    qtbot.addWidget(dialog)
    assert dialog.count.value() == 1000
    dialog.count.setValue(5)
    assert dialog.choice() == HeadChoice(5, (), 0.0)
    dialog.dropout.setValue(0.25)
    assert dialog.choice() == HeadChoice(5, (), 0.25)
    assert _ok_enabled(dialog)


def test_class_names_one_per_line_are_trimmed(qtbot: QtBot) -> None:
    dialog = ReplaceHeadDialog(None, classes=3)
    qtbot.addWidget(dialog)
    dialog.by_names.setChecked(True)
    assert not _ok_enabled(dialog), "no names typed yet"
    assert "at least one" in dialog.message.text()
    dialog.names.setPlainText("  cat\n\ndog \nbird\n")
    assert _ok_enabled(dialog)
    assert dialog.choice() == HeadChoice(3, ("cat", "dog", "bird"), 0.0)
    assert not dialog.count.isEnabled()


def test_repeated_class_names_are_refused_with_a_reason(qtbot: QtBot) -> None:
    dialog = ReplaceHeadDialog(None)
    qtbot.addWidget(dialog)
    dialog.by_names.setChecked(True)
    dialog.names.setPlainText("cat\ndog\ncat")
    assert dialog.choice() is None
    assert not _ok_enabled(dialog)
    assert "cat" in dialog.message.text()


def test_existing_class_names_are_offered(qtbot: QtBot) -> None:
    dialog = ReplaceHeadDialog(None, classes=2, names=("ant", "bee"))
    qtbot.addWidget(dialog)
    assert dialog.by_names.isChecked()
    assert dialog.choice() == HeadChoice(2, ("ant", "bee"), 0.0)
    count, names, dropout = dialog.choice() or HeadChoice(0)
    assert (count, names, dropout) == (2, ("ant", "bee"), 0.0), "unpacks like a tuple"
