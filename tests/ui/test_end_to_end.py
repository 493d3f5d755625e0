"""The whole GUI workflow in one window: data -> bundled Lite0 -> surgery -> train -> assess -> compare."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions
from designer.ui.compare import ComparePage
from designer.ui.data import DataPage
from designer.ui.evaluation import EvaluationPage
from designer.ui.main_window import MainWindow
from designer.ui.training import TrainingDashboard

TIMEOUT = 180_000


def _page(window: MainWindow, kind: type) -> object:
    return next(window.pages.widget(i) for i in range(window.pages.count())
                if isinstance(window.pages.widget(i), kind))


def _train(qtbot: QtBot, dashboard: TrainingDashboard) -> object:
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_transfer_learning_workflow_through_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(restore_layout=False)
    qtbot.addWidget(window)
    window.projects.new(tmp_path / "project")
    session, workspace = window.session, window.workspace
    with qtbot.waitSignal(session.analysis_ready, timeout=TIMEOUT):
        session.set_design(open_model("efficientnet_lite0_bundled", "bundled", input_size=64))

    data_page = _page(window, DataPage)
    assert isinstance(data_page, DataPage)
    window.show_page("Data")
    workspace.set_data_config(DataConfig(source="sample:shapes", image_size=64))
    with qtbot.waitSignal(workspace.data_changed, timeout=TIMEOUT):
        data_page.apply_settings()
    data = workspace.data
    assert data is not None and len(data.classes) == 4
    with qtbot.waitSignal(session.analysis_ready, timeout=TIMEOUT):
        data_page.replace_head()  # the page's "Replace final layers" banner action
    with qtbot.waitSignal(session.analysis_ready, timeout=TIMEOUT):
        window.freeze_backbone_action.trigger()
    assert session.design is not None and session.design.num_classes == 4

    dashboard = _page(window, TrainingDashboard)
    assert isinstance(dashboard, TrainingDashboard)
    window.show_page("Train")
    workspace.set_options(TrainingOptions(epochs=2, batch_size=16, lr=3e-3))
    first = _train(qtbot, dashboard)
    assert first is not None
    history = json.loads((first.run_dir / "history.json").read_text())
    x, loss = dashboard.plots.curves["loss"].getData()
    assert list(x) == [r["iteration"] for r in history["iterations"]]
    assert list(loss) == [r["loss"] for r in history["iterations"]]

    evaluation = _page(window, EvaluationPage)
    assert isinstance(evaluation, EvaluationPage)
    window.show_page("Evaluate")
    qtbot.waitUntil(lambda: evaluation.result is not None, timeout=TIMEOUT)
    result = evaluation.result
    assert result is not None
    model = evaluation.confusion.model
    assert model.rowCount() == model.columnCount() == 4
    counts = [[int(model.index(r, c).data()) for c in range(4)] for r in range(4)]
    assert sum(map(sum, counts)) == len(data.datasets[data.evaluation_split])
    true, predicted = next((t, p) for t in range(4) for p in range(4) if counts[t][p])
    rect = evaluation.confusion.cell_rect(true, predicted)
    qtbot.mouseClick(evaluation.confusion.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert evaluation.gallery.predictions == result.cell(true, predicted)

    window.show_page("Train")
    workspace.set_options(TrainingOptions(epochs=2, batch_size=16, lr=1e-2))
    second = _train(qtbot, dashboard)
    assert second is not None
    compare = _page(window, ComparePage)
    assert isinstance(compare, ComparePage)
    window.show_page("Compare")
    checked = {r.run_dir for r in compare.checked_runs()}
    assert {first.run_dir, second.run_dir} <= checked
    assert set(compare.curves.items["val_acc"]) >= {first.run_dir, second.run_dir}
    window.close()
