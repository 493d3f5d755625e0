"""The health report's imbalance check offers class weights; the button sets the training option
(the Train page's form shows it) and the strip says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.ui.data import DataPage
from designer.ui.data.imbalance_offer import SAMPLER_OPTION, sampler_available
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace

WAIT_MS = 20_000
FolderMaker = Callable[[tuple[str, ...], int], Path]


def test_imbalanced_data_offers_class_weights_which_the_train_page_then_uses(
        qtbot: QtBot, page: DataPage, workspace: Workspace, make_folder: FolderMaker) -> None:
    assert not page.imbalance.isVisibleTo(page), "the shapes sample is balanced: no offer"
    dashboard = TrainingDashboard(workspace)
    qtbot.addWidget(dashboard)
    folder = make_folder(("circle", "square"), 16)
    for path in sorted((folder / "circle").iterdir())[4:]:
        path.unlink()  # 4 circles, 16 squares: 4x, past the health report's 3x warning
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.source_panel.pick(str(folder))
    assert "4.0x fewer" in page.health.warnings.text()  # the report's own warning
    offer = page.imbalance
    assert offer.isVisibleTo(page)
    assert "'circle' has 4 images, 'square' has 16 (4.0×)" in offer.label.text()
    assert workspace.options.class_weights == "off"
    qtbot.mouseClick(offer.weights_button, Qt.MouseButton.LeftButton)
    assert workspace.options.class_weights == "balanced"
    assert dashboard.form.options().class_weights == "balanced", "the Train page shows it"
    assert "Training uses class weights" in offer.label.text()
    assert offer.weights_button.text() == "Turn off class weights"
    qtbot.mouseClick(offer.weights_button, Qt.MouseButton.LeftButton)
    assert workspace.options.class_weights == "off"
    assert dashboard.form.options().class_weights == "off"
    assert offer.weights_button.text() == "Use class weights"
    # the balanced sampler is offered exactly when the engine has the option
    has_sampler = SAMPLER_OPTION is not None and hasattr(workspace.options, SAMPLER_OPTION[0])
    assert sampler_available() == has_sampler
    assert (offer.sampler_button is not None) == has_sampler
    if offer.sampler_button is not None:
        qtbot.mouseClick(offer.sampler_button, Qt.MouseButton.LeftButton)
        assert workspace.options.sampler == "balanced"
        assert "Training uses a balanced sampler" in offer.label.text()
        assert offer.sampler_button.text() == "Turn off balanced sampler"
        qtbot.mouseClick(offer.sampler_button, Qt.MouseButton.LeftButton)
        assert workspace.options.sampler == "shuffle"
    dashboard.shutdown()
