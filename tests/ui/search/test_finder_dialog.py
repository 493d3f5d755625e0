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
    assert dialog.table.item(0, 0).text() == "squeezenet1_1 (random)"
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


def test_find_model_results_saved_in_a_project_show_in_compare_and_open_from_there(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from designer.cli import main
    from designer.project.data_config import prepare_data
    from designer.project.project_file import Project, save_project
    from designer.surgery.opening import open_model
    from designer.training.options import TrainingOptions
    from designer.ui.compare import ComparePage
    from designer.zoo.preprocessing import Preprocessing

    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))  # nothing downloaded
    config = DataConfig(source=str(_colour_folder(tmp_path / "data")), image_size=32)
    data = prepare_data(config, Preprocessing(), check_health=False)
    design = open_model("mobilenet_v3_small", "none", input_size=32)
    design.replace_head(3, class_names=data.classes)
    folder = tmp_path / "project"
    save_project(Project(folder, design, config, TrainingOptions(), data.manifest))
    assert main(["find-model", str(folder), "--models", "squeezenet1_1", "--controls",
                 "--image-size", "32", "--folds", "3"]) == 0

    session = DesignSession()
    page = ComparePage(Workspace(session, folder))
    qtbot.addWidget(page)
    tabs = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert "Model finder" in tabs
    panel = page.finder
    assert panel.chooser.count() == 1 and "32 px" in panel.chooser.currentText()
    assert panel.table.rowCount() == 1
    cells = [panel.table.item(0, c).text() for c in range(panel.table.columnCount())]
    assert cells[0] == "squeezenet1_1 (random)" and cells[-1] == "★"
    assert cells[1].endswith(tuple("0123456789")) and "%" in cells[1], "probe accuracy shown"
    assert len(panel.chart.rows) == 1

    with qtbot.waitSignal(session.open_finished, timeout=120_000):
        panel.open_button.click()
    assert session.design is not None
    assert session.design.info.class_names == ("blue", "green", "red")
    page.shutdown()
