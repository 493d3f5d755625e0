"""The model finder dialog: shortlist -> background probes -> table, chart, open a row."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch.hub
from PIL import Image
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig
from designer.surgery.design import Design
from designer.ui.search import FinderDialog
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace


def _colour_folder(root: Path) -> Path:
    rng = random.Random(0)
    for index, name in enumerate(("red", "green", "blue")):
        (root / name).mkdir(parents=True)
        for i in range(10):
            colour = [rng.randint(0, 80) for _ in range(3)]
            colour[index] = rng.randint(150, 255)
            Image.new("RGB", (24, 24), tuple(colour)).save(root / name / f"{i}.png")
    return root


def test_finder_probes_a_shortlist_in_the_background_and_opens_a_row(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))  # nothing downloaded
    session = DesignSession()
    workspace = Workspace(session, tmp_path / "project")
    workspace.set_data_config(DataConfig(source=str(_colour_folder(tmp_path / "data"))))
    dialog = FinderDialog(workspace)
    qtbot.addWidget(dialog)
    dialog.shortlist.setCurrentIndex(4)  # by hand
    dialog.names.setText("squeezenet1_1")
    dialog.controls.setChecked(True)
    dialog.image_size.setValue(32)
    dialog.names.editingFinished.emit()
    assert "need a download" in dialog.plan_label.text() and "squeezenet1_1" in \
        dialog.plan_label.text(), "downloads are announced before anything runs"

    with qtbot.waitSignal(dialog.runner.finished, timeout=300_000):
        dialog.find_button.click()
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text() == "squeezenet1_1 (random weights)"
    assert dialog.table.item(0, 6).text() == "★", "a single model is its own Pareto front"
    assert len(dialog.chart.rows) == 1 and len(dialog.chart.front) == 1
    assert "Skipped" in dialog.plan_label.text() and "download" in dialog.plan_label.text()

    # reopening the dialog shows the saved result
    again = FinderDialog(workspace)
    qtbot.addWidget(again)
    assert again.table.rowCount() == 1

    openers = []
    dialog.open_requested.connect(openers.append)
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    [opener] = openers
    design = opener(lambda _f, _m: None, lambda: False)
    assert isinstance(design, Design)
    assert design.info.class_names == ("blue", "green", "red")
    assert design.frozen_layers()
