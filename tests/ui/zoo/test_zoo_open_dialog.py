"""The weights dialog tells what pretrained weights cost and refuses a missing file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from designer.ui.zoo import OpenModelDialog
from designer.zoo.registry import get_entry


def _open_enabled(dialog: OpenModelDialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Open).isEnabled()


def test_pretrained_option_says_what_it_costs(qtbot: QtBot) -> None:
    vgg = OpenModelDialog(get_entry("vgg16"), "download")
    qtbot.addWidget(vgg)
    assert vgg.pretrained.text() == "Pretrained ImageNet weights (download 528 MB)"
    assert vgg.pretrained.isChecked() and vgg.weights() == "pretrained"
    cached = OpenModelDialog(get_entry("vgg16"), "cached")
    qtbot.addWidget(cached)
    assert cached.pretrained.text() == "Pretrained ImageNet weights (cached)"
    lite0 = OpenModelDialog(get_entry("efficientnet_lite0_bundled"), "bundled")
    qtbot.addWidget(lite0)
    assert lite0.pretrained.text().endswith("(bundled)")
    assert lite0.weights() == "bundled"


def test_backbone_only_weights_are_labelled(qtbot: QtBot) -> None:
    dialog = OpenModelDialog(get_entry("mobilenet_v2_backbone_bundled"), "bundled")
    qtbot.addWidget(dialog)
    assert "backbone" in dialog.pretrained.text()


def test_random_weights(qtbot: QtBot) -> None:
    dialog = OpenModelDialog(get_entry("resnet18"), "download")
    qtbot.addWidget(dialog)
    dialog.random.click()
    assert dialog.weights() == "none"
    assert _open_enabled(dialog)


def test_import_needs_an_existing_file(qtbot: QtBot, tmp_path: Path) -> None:
    weights = tmp_path / "mine.safetensors"
    dialog = OpenModelDialog(get_entry("resnet18"), "download",
                             file_chooser=lambda _parent: weights)
    qtbot.addWidget(dialog)
    dialog.from_file.click()
    assert not _open_enabled(dialog)
    dialog.browse.click()  # the chooser answers with a file that does not exist yet
    assert dialog.path_edit.text() == str(weights)
    assert not _open_enabled(dialog)
    weights.write_bytes(b"x")
    dialog.path_edit.setText(str(tmp_path / "other.pt"))
    assert not _open_enabled(dialog)
    dialog.browse.click()
    assert _open_enabled(dialog)
    assert dialog.weights() == weights
