"""Training from the dashboard: Start trains in the background and the plots end up holding the
run's history; Stop leaves a saved, usable run; engine errors and NaN losses become messages."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace
from tests.workers.faults import with_unreadable_image

TIMEOUT = 120_000


def _click_start(qtbot: QtBot, dashboard: TrainingDashboard) -> RunRecord | None:
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
        assert dashboard.runner.running
        assert dashboard.workspace.session.locked, "the design is locked while it trains"
        assert not dashboard.start_button.isEnabled() and dashboard.stop_button.isEnabled()
    run = blocker.args[0] if blocker.args else None
    assert run is None or isinstance(run, RunRecord)
    return run


def _curve(dashboard: TrainingDashboard, name: str) -> tuple[list[float], list[float]]:
    x, y = dashboard.plots.curves[name].getData()
    return ([] if x is None else list(x)), ([] if y is None else list(y))


def test_two_epoch_run_fills_the_plots_with_the_run_history(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    ready_to_train(tiny_design, shapes)
    state = {k: v.clone() for k, v in tiny_design.state_dict().items()}
    layers = list(tiny_design.network)
    run = _click_start(qtbot, dashboard)
    assert run is not None
    history = json.loads((run.run_dir / "history.json").read_text())
    rows = history["iterations"]
    assert len(rows) == 2 * 9  # 68 training images in batches of 8, two epochs
    x, loss = _curve(dashboard, "loss")
    assert x == [r["iteration"] for r in rows]
    assert loss == [r["loss"] for r in rows]
    assert _curve(dashboard, "lr")[1] == [r["lr"] for r in rows]
    assert _curve(dashboard, "acc")[1] == pytest.approx([100 * r["accuracy"] for r in rows])
    assert len(_curve(dashboard, "loss_smoothed")[1]) == len(rows)
    validations = history["validations"]
    assert _curve(dashboard, "val_loss") == ([v["iteration"] for v in validations],
                                             [v["val_loss"] for v in validations])
    assert _curve(dashboard, "val_acc")[1] == pytest.approx([100 * v["val_acc"]
                                                             for v in validations])
    assert dashboard.plots.epoch_ends == [e["iteration"] for e in history["epochs"]]
    marks_x, _ = dashboard.plots._epoch_marks["loss"].item.getData()
    assert list(marks_x) == [9, 9, 18, 18], "one dashed line per epoch end"
    assert any(r.run_dir == run.run_dir for r in workspace.runs)
    assert not workspace.session.locked
    assert dashboard.start_button.isEnabled() and not dashboard.stop_button.isEnabled()
    assert list(tiny_design.network) == layers
    assert all(torch.equal(state[k], v) for k, v in tiny_design.state_dict().items())
    assert dashboard.message.kind == "success"
    assert "Training finished" in dashboard.message.text
    assert f"{100 * run.summary.best_val_acc:.1f}\u00a0%" in dashboard.message.text
    assert "features cached" in dashboard.progress.setup.text()
    assert dashboard.log_view.toPlainText().strip(), "the run log is shown"


def test_stop_during_training_saves_a_usable_run(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    workspace.set_options(workspace.options.replace(epochs=200))
    ready_to_train(tiny_design, shapes, frozen=False)  # real work per iteration
    dashboard.runner.iterations.connect(
        lambda _batch: qtbot.mouseClick(dashboard.stop_button, Qt.MouseButton.LeftButton)
        if dashboard.stop_button.isEnabled() else None)
    run = _click_start(qtbot, dashboard)
    assert run is not None
    assert not dashboard.runner.running
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert summary["reason"] == "stopped"
    assert any(r.run_dir == run.run_dir for r in workspace.runs)
    assert not workspace.session.locked
    assert "Stopped" in dashboard.message.text
    x, loss = _curve(dashboard, "loss")
    assert (x, loss) == ([r["iteration"] for r in run.history.iterations],
                         [r["loss"] for r in run.history.iterations])
    trained = run_design(run.run_dir)
    out = trained.build()(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, len(shapes.classes)) and torch.isfinite(out).all()


def test_an_unreadable_image_is_a_clear_message(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    ready_to_train(tiny_design, with_unreadable_image(shapes, 5))
    _click_start(qtbot, dashboard)
    assert dashboard.message.kind == "error"
    text = dashboard.message.text
    assert "Training failed" in text and "cannot identify image file" in text
    assert str(shapes.datasets["train"].samples[5].path) in text
    assert not workspace.session.locked and not dashboard.runner.running


def test_a_diverging_loss_is_reported_with_what_to_do(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    workspace.set_options(workspace.options.replace(lr=1e9))
    assert dashboard.form.fields["lr"].text() == "1e+09"  # type: ignore[attr-defined]
    ready_to_train(tiny_design, shapes)
    run = _click_start(qtbot, dashboard)
    assert run is not None and run.summary is not None and run.summary.reason == "diverged"
    assert dashboard.message.kind == "error"
    assert "the loss diverged" in dashboard.message.text
    assert "lower the learning rate (now 1e+09)" in dashboard.message.text
    assert np.isfinite(_curve(dashboard, "loss")[1]).all(), "the NaN step is not plotted"


def test_closing_the_window_during_training_joins_and_keeps_the_run(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    workspace.set_options(workspace.options.replace(epochs=200))
    ready_to_train(tiny_design, shapes, frozen=False)
    with qtbot.waitSignal(dashboard.runner.iterations, timeout=TIMEOUT):
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dashboard.run_finished, timeout=1000):  # emitted inside shutdown
        assert dashboard.shutdown(60_000)
    assert not dashboard.runner.running and not workspace.session.locked
    [run] = workspace.runs
    assert run.summary.reason == "stopped"


def test_resume_continues_a_stopped_run_in_its_own_folder(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    workspace.set_options(workspace.options.replace(epochs=2))
    ready_to_train(tiny_design, shapes, frozen=False)
    stop_once = [True]

    def stop_after_first_batch(_batch: object) -> None:
        if stop_once and dashboard.stop_button.isEnabled():
            stop_once.clear()
            qtbot.mouseClick(dashboard.stop_button, Qt.MouseButton.LeftButton)

    dashboard.runner.iterations.connect(stop_after_first_batch)
    stopped = _click_start(qtbot, dashboard)
    assert stopped is not None and stopped.summary.reason == "stopped"
    done_before = len(stopped.history.iterations)
    assert dashboard.resume_button.isEnabled()
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(dashboard.resume_button, Qt.MouseButton.LeftButton)
    resumed = blocker.args[0]
    assert resumed is not None and resumed.run_dir == stopped.run_dir
    assert resumed.summary.reason == "completed"
    iterations = [r["iteration"] for r in resumed.history.iterations]
    assert iterations == list(range(1, len(iterations) + 1)), "no iteration repeated or lost"
    assert len(iterations) > done_before
    assert _curve(dashboard, "loss")[0] == iterations, "the curves continue across the resume"
    assert resumed.evaluation, "the finished run is evaluated"
    assert not dashboard.resume_button.isEnabled()
