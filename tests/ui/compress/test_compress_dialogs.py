"""Compression in the app: the analysis dialog's table and totals, pruning into a new design that
opens on the canvas (the original kept, Undo returns to it), cancel, and plain error messages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import torch
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from torch import nn

from designer.compress.analysis import analyze_compression
from designer.surgery.design import Design, DesignInfo
from designer.surgery.opening import open_model
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.canvas.scene import NetworkScene
from designer.ui.compress import CompressionDialog, PruneDialog
from designer.ui.compress.analysis_dialog import HEADERS, unattributed_text
from designer.ui.formatting import bytes_text, count_text
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace

if TYPE_CHECKING:
    from designer.ui.main_window import MainWindow

TIMEOUT = 180_000


@pytest.fixture
def session(qtbot: QtBot) -> Iterator[DesignSession]:
    session = DesignSession()
    design = open_model("resnet18", input_size=32)
    design.replace_head(4, class_names=list("abcd"))
    session.set_design(design)
    yield session
    session.shutdown()


@pytest.fixture
def analysis_dialog(qtbot: QtBot, session: DesignSession) -> Iterator[CompressionDialog]:
    analyzer = AnalyzerPanel(session)
    qtbot.addWidget(analyzer)
    dialog = CompressionDialog(session, analyzer)
    qtbot.addWidget(dialog)
    yield dialog
    dialog.shutdown()
    analyzer.profile_runner.shutdown()


def _cell(dialog: CompressionDialog, row: int, header: str) -> str:
    index = dialog.proxy.index(row, HEADERS.index(header))
    return str(dialog.proxy.data(index))


def test_analysis_lists_every_layer_with_the_library_numbers_and_totals(
        qtbot: QtBot, session: DesignSession, analysis_dialog: CompressionDialog) -> None:
    dialog = analysis_dialog
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.analysis is not None and not dialog.runner.running,
                    timeout=TIMEOUT)
    assert session.design is not None
    expected = analyze_compression(session.design)
    assert dialog.proxy.rowCount() == len(expected.layers) > 40
    for row, layer in enumerate(expected.layers):  # sorted by execution order
        assert _cell(dialog, row, "Layer") == layer.name
        assert _cell(dialog, row, "Params") == (count_text(layer.params) if layer.params else "")
        assert _cell(dialog, row, "Weights") == (bytes_text(layer.weight_bytes)
                                                 if layer.weight_bytes else "")
        assert _cell(dialog, row, "Prunable") == (layer.prunable or "—")
        assert _cell(dialog, row, "INT8\nsaves") == (bytes_text(layer.int8_saving_bytes)
                                                    if layer.int8_saving_bytes else "")
        assert _cell(dialog, row, "Why") == layer.reason
    totals = dialog.totals.text()
    for value in (expected.weight_bytes, expected.int8_saving_bytes,
                  expected.prunable_weight_bytes, expected.prune_example_saving_bytes):
        assert bytes_text(value) in totals
    assert sum(r.int8_saving_bytes for r in expected.layers) == expected.int8_saving_bytes
    # sort by weight memory, largest first: the heaviest layer is on top
    dialog.table.sortByColumn(HEADERS.index("Weights"), Qt.SortOrder.DescendingOrder)
    heaviest = max(expected.layers, key=lambda r: r.weight_bytes)
    assert _cell(dialog, 0, "Layer") == heaviest.name
    assert _cell(dialog, 0, "ms ×1") == "", "no time before a profile"
    # measured latency beside each layer once profiled, with the unattributed rest in the totals
    dialog.measure_button.click()
    qtbot.waitUntil(lambda: dialog.model.profile is not None, timeout=TIMEOUT)
    assert float(_cell(dialog, 0, "ms ×1")) > 0
    profile = dialog.model.profile
    assert f"{profile.total_ms:.1f} ms" in dialog.totals.text()
    assert unattributed_text(profile) in dialog.totals.text()
    dialog.table.clicked.emit(dialog.proxy.index(0, 1))
    assert session.selection == [heaviest.name]


def test_cancelled_analysis_leaves_nothing_half_done(
        qtbot: QtBot, analysis_dialog: CompressionDialog) -> None:
    dialog = analysis_dialog
    with qtbot.waitSignal(dialog.runner.finished, timeout=TIMEOUT):
        dialog.start()
        dialog.cancel_button.click()
    assert dialog.analysis is None and dialog.model.rowCount() == 0
    assert dialog.totals.text() == ""
    assert "Cancelled" in dialog.status.text()
    assert dialog.refresh_button.isEnabled() and not dialog.cancel_button.isVisible()


@pytest.fixture
def workspace(qtbot: QtBot, session: DesignSession, tmp_path: Path) -> Workspace:
    return Workspace(session, project_dir=tmp_path / "project")


def test_pruning_opens_a_new_smaller_design_and_keeps_the_original(
        qtbot: QtBot, session: DesignSession, workspace: Workspace) -> None:
    original = session.design
    assert original is not None
    before = {k: v.clone() for k, v in original.state_dict().items()}
    params = original.analyze().total_params
    scene = NetworkScene(session)
    dialog = PruneDialog(workspace)
    qtbot.addWidget(dialog)
    assert not dialog.importance.model().item(1).isEnabled(), "Taylor needs data: none chosen"
    assert "Data page" in dialog.data_note.text()
    assert not dialog.finetune_button.isEnabled()
    dialog.share.setValue(30)
    with qtbot.waitSignal(dialog.runner.finished, timeout=TIMEOUT):
        dialog.prune_button.click()
    pruned = session.design
    assert dialog.pruned is not None and pruned is dialog.pruned.design
    assert pruned is not original and pruned.info.model_name == "resnet18-pruned30"
    assert pruned.analyze().total_params == dialog.pruned.params_after < 0.75 * params
    assert not pruned.history.is_clean, "the new design is not saved yet"
    # the original design is untouched
    assert original.analyze().total_params == params
    assert all(torch.equal(before[k], v) for k, v in original.state_dict().items())
    # the table the user reads, and the canvas shows the pruned network
    assert dialog.table.isVisible() or not dialog.isVisible()
    assert dialog.table.item(0, 1).text() == count_text(params)
    assert dialog.table.item(0, 2).text() == count_text(dialog.pruned.params_after)
    assert dialog.table.item(2, 0).text().startswith("Latency")
    scene.finish_build()
    conv = scene.item_for_layer("layer1_0_conv1")
    assert conv is not None and scene.network is pruned.network
    assert pruned.network["layer1_0_conv1"].params["out_channels"] < 64
    # editable like any design, and Undo walks back to the original
    pruned.freeze_backbone()
    session.undo()
    assert session.design is pruned and session.can_return_to_origin
    assert dialog.finetune_button.isEnabled()
    session.undo()
    assert session.design is original
    assert not dialog.finetune_button.isEnabled(), "fine-tunes only the pruned design"


def test_recovery_fine_tune_really_trains_the_pruned_design(qtbot: QtBot, window: MainWindow,
                                                            tmp_path: Path) -> None:
    """Model ▸ Prune channels…, Fine-tune to recover…, Start: a run of the pruned design."""
    from designer.project.data_config import DataConfig, prepare_data
    from designer.ui.training import TrainingDashboard

    design = window.session.design
    assert design is not None
    data = prepare_data(DataConfig(source="sample:shapes", image_size=32),
                        design.info.preprocessing)
    window.session.edit(lambda d: d.replace_head(len(data.classes), class_names=data.classes))
    window.workspace.set_data(data)
    window.window_commands["prune"].trigger()
    dialog = window.findChild(PruneDialog)
    assert dialog is not None and dialog.importance.model().item(1).isEnabled()
    dialog.importance.setCurrentIndex(1)  # Taylor, on the data's training images
    with qtbot.waitSignal(dialog.runner.finished, timeout=TIMEOUT):
        dialog.prune_button.click()
    assert dialog.pruned is not None, dialog.status.text()
    pruned = dialog.pruned.design
    dialog.finetune_button.click()
    dashboard = window.pages.currentWidget()
    assert isinstance(dashboard, TrainingDashboard), "the Train page is shown"
    assert dashboard.form.current.epochs == 3
    window.workspace.set_options(replace(window.workspace.options, epochs=1, batch_size=16))
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT) as blocker:
        dashboard.start_button.click()
    run = blocker.args[0]
    assert run is not None and run.info.model_name == "resnet18-pruned30"
    assert len(run.history.validations) >= 1
    assert window.session.design is pruned, "the pruned design stays open after training"


def test_cancelled_pruning_makes_no_design(qtbot: QtBot, session: DesignSession,
                                           workspace: Workspace) -> None:
    original = session.design
    dialog = PruneDialog(workspace)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.runner.finished, timeout=TIMEOUT):
        dialog.prune_button.click()
        dialog.cancel_button.click()
    assert session.design is original and dialog.pruned is None
    assert "Cancelled" in dialog.status.text() and not dialog.table.isVisible()


def test_a_design_pruning_cannot_shrink_gets_one_plain_message(
        qtbot: QtBot, workspace: Workspace) -> None:
    session = workspace.session
    linear = Design.from_module(nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 4)),
                                DesignInfo(model_name="linear", input_size=32))
    session.set_design(linear)
    dialog = PruneDialog(workspace)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.runner.finished, timeout=TIMEOUT):
        dialog.prune_button.click()
    text = dialog.status.text()
    assert "no channel could be removed" in text and "Traceback" not in text
    assert session.design is linear and dialog.pruned is None
