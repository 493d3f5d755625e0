"""The learning-rate finder on the Train page: it runs on a background thread, a click on its
plot sets the learning rate, "Use suggestion" takes the suggestion, and Cancel changes nothing."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pyqtgraph as pg
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.surgery.design import Design
from designer.training.lr_finder import RangeTest
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace
from designer.workers import lr_finder

TIMEOUT = 120_000


def _click_at_lr(qtbot: QtBot, plot: pg.PlotWidget, lr: float) -> None:
    """A left click on the plot where the learning rate is `lr` (mid-height)."""
    view = plot.getPlotItem().vb
    (_x0, _x1), (y0, y1) = view.viewRange()
    scene = view.mapViewToScene(pg.Point(math.log10(lr), (y0 + y1) / 2))
    point = plot.mapFromScene(scene)
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))


def test_find_runs_off_the_gui_thread_and_a_click_on_the_plot_sets_the_rate(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ready_to_train(tiny_design, shapes)
    state = {k: v.clone() for k, v in tiny_design.state_dict().items()}
    threads: list[threading.Thread] = []
    real = lr_finder.find_learning_rate

    def spy(*args: object, **kwargs: object) -> RangeTest:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lr_finder, "find_learning_rate", spy)
    finder = dashboard.finder
    with qtbot.waitSignal(finder.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(finder.find_button, Qt.MouseButton.LeftButton)
        assert finder.running and not dashboard.start_button.isEnabled()
        assert dashboard.tabs.currentWidget() is finder
    assert threads and threads[0] is not threading.main_thread()
    result = finder.plot.result
    assert result is not None and result.suggestion is not None, finder.status.text()
    assert dashboard.start_button.isEnabled() and finder.use_button.isEnabled()
    _x, y = finder.plot.smooth.getData()  # the curve drawn is the test's, up to the blow-up
    assert list(y) == result.smoothed[:result.suggestion.used]
    assert finder.plot.suggested.isVisible()
    assert f"{result.suggestion.lr:.2g}" in finder.status.text()
    # the user's design was not trained
    assert all(torch.equal(state[k], v) for k, v in tiny_design.state_dict().items())

    target = math.sqrt(result.lrs[0] * result.lrs[result.suggestion.used - 1])
    _click_at_lr(qtbot, finder.plot, target)
    chosen = dashboard.form.fields["lr"].value()  # type: ignore[attr-defined]
    assert chosen == pytest.approx(target, rel=0.1), "the click picks the rate under the mouse"
    assert workspace.options.lr == chosen and dashboard.form.current.lr == chosen
    assert finder.plot.picked.isVisible()
    assert finder.plot.picked.label.toPlainText() == f"chosen {chosen:.2g}"

    qtbot.mouseClick(finder.use_button, Qt.MouseButton.LeftButton)
    assert workspace.options.lr == pytest.approx(result.suggestion.lr)
    assert f"{result.suggestion.lr:.2g}" in finder.status.text()


def test_cancel_stops_the_test_and_changes_nothing(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    ready_to_train(tiny_design, shapes, frozen=False)  # every step trains the whole network
    state = {k: v.clone() for k, v in tiny_design.state_dict().items()}
    lr_before = workspace.options.lr
    finder = dashboard.finder
    steps: list[str] = []

    def on_progress(_fraction: float, text: str) -> None:
        steps.append(text)
        if "Trying learning rates" in text:
            finder.cancel()

    finder.runner.progressed.connect(on_progress)
    with qtbot.waitSignal(finder.runner.finished, timeout=TIMEOUT):
        assert finder.start()
    assert any("Trying learning rates" in s for s in steps)
    assert "Cancelled" in finder.status.text()
    assert finder.plot.result is None and not finder.use_button.isEnabled()
    assert workspace.options.lr == lr_before
    assert all(torch.equal(state[k], v) for k, v in tiny_design.state_dict().items())
    assert finder.find_button.isEnabled() and dashboard.start_button.isEnabled()


def test_without_data_the_finder_says_what_is_missing(
        qtbot: QtBot, dashboard: TrainingDashboard, tiny_design: Design,
        workspace: Workspace) -> None:
    workspace.session.set_design(tiny_design)
    assert not dashboard.finder.start()
    assert not dashboard.finder.running
    assert dashboard.finder.status.text()  # the start check's message, in red
    assert "b3261e" in dashboard.finder.status.styleSheet()


def test_running_out_of_memory_is_one_plain_message(
        qtbot: QtBot, dashboard: TrainingDashboard, tiny_design: Design, shapes: PreparedData,
        ready_to_train: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    ready_to_train(tiny_design, shapes)

    def out_of_memory(*_args: object, **_kwargs: object) -> RangeTest:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(lr_finder, "find_learning_rate", out_of_memory)
    with qtbot.waitSignal(dashboard.finder.runner.finished, timeout=TIMEOUT):
        assert dashboard.finder.start()
    text = dashboard.finder.status.text()
    assert text.startswith("Out of memory while finding a learning rate. Lower the batch size")
    assert "Traceback" not in text and "\n" not in text
    assert dashboard.finder.find_button.isEnabled() and dashboard.start_button.isEnabled()
