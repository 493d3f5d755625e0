"""Start checks first: no model, no data or a head that does not fit the classes give a message
with a way out, and no thread is started."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.surgery.design import Design
from designer.ui.training import TrainingDashboard
from designer.ui.training import dashboard as dashboard_module
from designer.ui.workspace import Workspace


def _start(qtbot: QtBot, dashboard: TrainingDashboard) -> None:
    qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)


def test_without_a_model_start_says_to_open_one(qtbot: QtBot, dashboard: TrainingDashboard,
                                                shapes: PreparedData,
                                                workspace: Workspace) -> None:
    workspace.set_data(shapes)
    _start(qtbot, dashboard)
    assert "no model" in dashboard.message.text
    assert not dashboard.runner.running


def test_without_data_start_points_to_the_data_page(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace,
        tiny_design: Design) -> None:
    workspace.session.set_design(tiny_design)
    _start(qtbot, dashboard)
    assert dashboard.message.kind == "error"
    assert "Data page" in dashboard.message.text
    assert not dashboard.runner.running and not workspace.session.locked
    assert dashboard.message.action_button.text() == "Open the Data page"
    with qtbot.waitSignal(dashboard.page_requested) as blocker:
        qtbot.mouseClick(dashboard.message.action_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["Data"]


def test_a_head_that_does_not_fit_offers_to_replace_the_final_layers(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData) -> None:
    workspace.session.set_design(tiny_design)
    workspace.set_data(shapes)
    _start(qtbot, dashboard)
    text = dashboard.message.text
    assert "1000 outputs" in text and "4 classes" in text and "circle" in text
    assert not dashboard.runner.running, "no thread is started for a design that cannot train"
    assert not workspace.session.locked and not list(workspace.runs_root.glob("*"))
    button = dashboard.message.action_button
    assert button.isVisibleTo(dashboard) and button.text() == "Replace final layers"
    # the session re-analyses the edited design in the background; reading the analysis while
    # that runs races with it (surgery.analysis swaps the shared weights for meta tensors)
    with qtbot.waitSignal(workspace.session.analysis_ready, timeout=30_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert tiny_design.num_classes == 4
    assert list(tiny_design.info.class_names) == shapes.classes
    assert dashboard.message.kind == "success" and "Press Start" in dashboard.message.text
    with qtbot.waitSignal(workspace.session.analysis_ready, timeout=30_000):
        workspace.session.undo()  # one undoable edit
    assert tiny_design.num_classes == 1000


def test_replacing_the_head_while_locked_is_refused(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData) -> None:
    workspace.session.set_design(tiny_design)
    workspace.set_data(shapes)
    _start(qtbot, dashboard)
    workspace.session.set_locked(True)
    errors: list[str] = []
    workspace.session.error_occurred.connect(errors.append)
    qtbot.mouseClick(dashboard.message.action_button, Qt.MouseButton.LeftButton)
    assert tiny_design.num_classes == 1000
    assert errors and "locked" in errors[0]
    assert dashboard.message.kind == "error", "the problem is still shown"


def test_start_right_after_replacing_the_head_trains_the_new_head(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData) -> None:
    """No waiting for the edit's analysis: the run trains a snapshot, checked by the worker."""
    workspace.session.set_design(tiny_design)
    workspace.set_data(shapes)
    _start(qtbot, dashboard)
    with qtbot.waitSignal(dashboard.run_finished, timeout=120_000) as blocker:
        qtbot.mouseClick(dashboard.message.action_button, Qt.MouseButton.LeftButton)
        assert workspace.session.analysing  # the edit is still being analysed
        _start(qtbot, dashboard)
        assert dashboard.runner.running
    [run] = blocker.args
    assert run is not None and run.summary.reason == "completed"
    assert run.stats.num_classes == 4


def test_the_dashboard_has_no_polling_timer(dashboard: TrainingDashboard) -> None:
    assert not hasattr(dashboard_module, "ANALYSIS_WAIT_MS")
    direct = dashboard.findChildren(QTimer, options=Qt.FindChildOption.FindDirectChildrenOnly)
    # only the one-shot steps after a run ends (listing it, the next spare process)
    assert all(timer.isSingleShot() and not timer.isActive() for timer in direct), \
        "Start waits for nothing (the runner's 20 Hz drain is its own)"
    assert not hasattr(dashboard, "_retry_start") and not hasattr(dashboard, "_wait_for_analysis")
