"""Must-show (issue 11 §1): Start trains a snapshot of the design, whatever happens to it after.

Training starts while an edit's analysis is still in flight, and the user keeps editing: through
the design's API while the page holds the lock, and through the session once it is unlocked.
The run must have trained exactly the design as it was when Start was pressed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.project.run_model import run_design
from designer.surgery.design import Design
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace


def test_the_run_trains_the_design_as_it_was_at_start(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData) -> None:
    head = tiny_design.replace_head(4, class_names=shapes.classes)
    tiny_design.freeze_backbone()
    workspace.session.set_design(tiny_design)
    workspace.set_data(shapes)
    workspace.session.edit(lambda d: d.set_lr_factor([head], 2.0))  # its analysis now runs
    at_start = tiny_design.state_dict()[f"{tiny_design.network[head].target}.weight"].clone()
    with qtbot.waitSignal(dashboard.run_finished, timeout=120_000) as blocker:
        assert workspace.session.analysing
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
        assert dashboard.runner.running and workspace.session.locked
        tiny_design.replace_head(7)  # locked in the GUI, but the API still edits
        tiny_design.unfreeze(from_=tiny_design.network.names[1])
        workspace.session.set_locked(False)
        workspace.session.edit(lambda d: d.replace_head(9))  # unlocked: a GUI edit
        assert tiny_design.num_classes == 9
    [run] = blocker.args
    assert run is not None and run.summary.reason == "completed"
    assert run.stats.num_classes == 4 and run.info.classes == tuple(shapes.classes)
    trained = run_design(run.run_dir, "last")
    assert trained.num_classes == 4
    assert trained.network[head].lr_factor == 2.0
    assert trained.frozen_layers() and tiny_design.frozen_layers() == []
    weight = f"{trained.network[head].target}.weight"
    assert trained.state_dict()[weight].shape == at_start.shape
    assert not trained.state_dict()[weight].equal(at_start), "the snapshot's head was trained"
    assert tiny_design.state_dict()[weight].shape[0] == 9, "the live design kept its edits"
