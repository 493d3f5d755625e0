"""When a run ends the window stays responsive and nothing is lost: the design is still
autosaved after the run (from a snapshot, written off the GUI thread while the user may already
edit again), the outcome replaces "Training…" without resizing the plots, and a spare training
process started for the next run never outlives a window that closed meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.project.design_io import load_design
from designer.project.project_file import AUTOSAVE
from designer.surgery.design import Design
from designer.ui import project_controller
from designer.ui.project_controller import HeadlessPrompts, ProjectController
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace
from designer.workers import training_process
from tests.ui.training.conftest import ReadyToTrain

TIMEOUT = 120_000


@pytest.fixture
def projects(workspace: Workspace) -> Iterator[ProjectController]:
    controller = ProjectController(workspace, HeadlessPrompts(None))
    yield controller
    controller.close()


def _autosaved(folder: Path) -> Path:
    return folder / AUTOSAVE / "autosave.json"


def _same_weights(saved: Design, design: Design) -> bool:
    ours, theirs = design.state_dict(), saved.state_dict()
    return ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_the_design_is_autosaved_after_a_run_and_restores_as_it_was_trained(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace,
        projects: ProjectController, tiny_design: Design, shapes: PreparedData,
        ready_to_train: ReadyToTrain) -> None:
    ready_to_train(tiny_design, shapes)  # a new head and a frozen backbone: not saved yet
    folder = workspace.project_dir
    assert not _autosaved(folder).exists()
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _autosaved(folder).is_file() and not projects.autosaving,
                    timeout=20_000)
    restored = load_design(folder / AUTOSAVE)  # what crash recovery offers
    assert restored.network.state() == tiny_design.network.state()
    assert restored.frozen_layers() == tiny_design.frozen_layers()
    assert restored.info.class_names == tuple(shapes.classes)
    assert _same_weights(restored, tiny_design)


def test_an_edit_made_while_the_autosave_is_written_does_not_reach_it(
        qtbot: QtBot, workspace: Workspace, projects: ProjectController, tiny_design: Design,
        shapes: PreparedData, monkeypatch: pytest.MonkeyPatch) -> None:
    """The autosave is serialised on its own thread from a snapshot taken when it was asked
    for: the user editing meanwhile (edits swap modules) changes neither its layers nor its
    tensors."""
    tiny_design.replace_head(len(shapes.classes), class_names=shapes.classes)
    workspace.session.set_design(tiny_design)
    tiny_design.freeze_backbone()  # unsaved
    before = tiny_design.snapshot()
    weights = {k: v.clone() for k, v in tiny_design.state_dict().items()}
    gate = threading.Event()
    real = project_controller.autosave
    monkeypatch.setattr(project_controller, "autosave",
                        lambda folder, design: (gate.wait(30), real(folder, design))[1])
    projects.autosave_now()
    assert projects.autosaving
    tiny_design.replace_head(7, class_names=[f"c{i}" for i in range(7)])  # while it is written
    tiny_design.unfreeze(tiny_design.frozen_layers())
    gate.set()
    qtbot.waitUntil(lambda: not projects.autosaving and _autosaved(workspace.project_dir)
                    .is_file(), timeout=20_000)
    saved = load_design(workspace.project_dir / AUTOSAVE)
    assert saved.network.state() == before.network
    assert saved.info.class_names == tuple(shapes.classes) and saved.frozen_layers()
    state = saved.state_dict()
    assert state.keys() == weights.keys() and all(torch.equal(state[k], weights[k])
                                                  for k in weights)


def test_the_outcome_replaces_training_without_resizing_the_plots(
        qtbot: QtBot, show: object, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: ReadyToTrain) -> None:
    """At the laptop width the outcome takes the two lines "Training…" kept: the plots below do
    not shrink when a run ends (all their axes would be drawn again in one frame)."""
    dashboard = show(TrainingDashboard(workspace), (1366, 720))  # type: ignore[operator]
    ready_to_train(tiny_design, shapes)
    with qtbot.waitSignal(dashboard.runner.started, timeout=TIMEOUT):
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
    assert dashboard.message.kind == "info" and "Stop ends the run" in dashboard.message.text
    qtbot.wait(50)  # laid out
    during = dashboard.plots.height()
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT):
        pass
    qtbot.wait(50)
    assert dashboard.message.kind == "success" and "Training finished" in dashboard.message.text
    assert dashboard.plots.height() == during


def test_a_spare_process_asked_for_as_the_window_closes_is_not_left_running(
        monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    """The spare for the next run starts on a background thread (starting a process blocks
    20-30 ms); one asked for just before the window closed never starts or is ended."""
    monkeypatch.setitem(training_process._warm_start, "enabled", True)
    training_process.prewarm_if_enabled()
    qtbot.waitUntil(lambda: training_process.spare_pid() is not None, timeout=30_000)
    training_process.discard_spare()
    for _ in range(5):
        training_process.prewarm_if_enabled()
        training_process.discard_spare()  # the window closes at once
    for thread in threading.enumerate():
        if thread.name == "prewarm":
            thread.join(30)
    assert training_process.spare_pid() is None
