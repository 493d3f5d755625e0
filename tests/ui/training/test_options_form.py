"""The options form shows the workspace's options, sends valid edits back, and explains itself."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox
from pytestqt.qtbot import QtBot

from designer.training.options import TrainingOptions
from designer.ui.training import TrainingDashboard
from designer.ui.training.number_boxes import ScientificSpinBox
from designer.ui.training.options_form import TIPS, TrainingOptionsForm
from designer.ui.workspace import Workspace


def test_form_follows_the_workspace_and_edits_go_back(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace) -> None:
    form = dashboard.form
    workspace.set_options(TrainingOptions(solver="sgdm", lr=0.05, epochs=7, schedule="step",
                                          feature_cache="disk"))
    epochs = form.fields["epochs"]
    assert isinstance(epochs, QSpinBox) and epochs.value() == 7
    solver = form.fields["solver"]
    assert isinstance(solver, QComboBox) and solver.currentText() == "SGD with momentum"
    assert form.fields["lr"].text() == "0.05"  # type: ignore[attr-defined]
    assert form.fields["step_size"].isEnabled()
    assert form.fields["momentum"].isEnabled()
    with qtbot.waitSignal(workspace.options_changed):
        epochs.setValue(12)
    assert workspace.options.epochs == 12
    assert workspace.options.solver == "sgdm" and workspace.options.feature_cache == "disk"
    solver.setCurrentIndex(solver.findData("adam"))
    assert workspace.options.solver == "adam"
    for solver_name in ("adam", "adamw", "rmsprop"):
        solver.setCurrentIndex(solver.findData(solver_name))
        assert not form.fields["momentum"].isEnabled(), f"{solver_name} ignores momentum"
    schedule = form.fields["schedule"]
    assert isinstance(schedule, QComboBox)
    schedule.setCurrentIndex(schedule.findData("cosine"))
    assert not form.fields["step_size"].isEnabled(), "step size only matters for step decay"


def test_options_the_form_does_not_show_are_kept(qtbot: QtBot, workspace: Workspace) -> None:
    form = TrainingOptionsForm(TrainingOptions(channels_last="off", num_workers=3), False)
    qtbot.addWidget(form)
    batch = form.fields["batch_size"]
    assert isinstance(batch, QSpinBox)
    with qtbot.waitSignal(form.options_edited) as blocker:
        batch.setValue(16)
    edited = blocker.args[0]
    assert (edited.batch_size, edited.channels_last, edited.num_workers) == (16, "off", 3)


def test_every_field_has_a_tooltip_and_cuda_is_disabled_without_a_gpu(qtbot: QtBot) -> None:
    form = TrainingOptionsForm(TrainingOptions(), cuda_available=False)
    qtbot.addWidget(form)
    assert set(form.fields) == set(TIPS)
    assert all(widget.toolTip() for widget in form.fields.values())
    device = form.fields["device"]
    assert isinstance(device, QComboBox)
    model = device.model()
    assert isinstance(model, QStandardItemModel)
    cuda = model.item(device.findData("cuda"))
    assert not cuda.isEnabled() and "No CUDA GPU" in cuda.toolTip()
    assert model.item(device.findData("cpu")).isEnabled()
    with_gpu = TrainingOptionsForm(TrainingOptions(), cuda_available=True)
    qtbot.addWidget(with_gpu)
    gpu_model = with_gpu.fields["device"].model()  # type: ignore[attr-defined]
    assert gpu_model.item(device.findData("cuda")).isEnabled()


def test_learning_rate_box_reads_and_steps_in_decades(qtbot: QtBot) -> None:
    box = ScientificSpinBox(1e-8, 10.0)
    qtbot.addWidget(box)
    box.setValue(1e-3)
    assert box.text() == "0.001"
    box.stepBy(1)
    assert box.value() == 2e-3
    box.stepBy(2)
    assert box.value() == 1e-2
    box.stepBy(-3)
    assert box.value() == 1e-3
    box.setValue(3e-4)
    box.stepBy(-1)
    assert box.value() == 2e-4, "from between two steps, down goes to the step below"
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "5e-5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == 5e-5 and box.text() == "5e-05"


def test_weight_decay_can_be_switched_off(qtbot: QtBot) -> None:
    box = ScientificSpinBox(1e-8, 10.0, allow_zero=True)
    qtbot.addWidget(box)
    box.setValue(1e-8)
    box.stepBy(-1)
    assert box.value() == 0.0
    box.stepBy(1)
    assert box.value() == 1e-8


def test_decimal_fields_keep_their_values(qtbot: QtBot) -> None:
    options = TrainingOptions(warmup_epochs=0.5, grad_clip=2.5, label_smoothing=0.1,
                              weight_decay=0.0, momentum=0.95)
    form = TrainingOptionsForm(options, False)
    qtbot.addWidget(form)
    assert form.options() == options
    clip = form.fields["grad_clip"]
    assert isinstance(clip, QDoubleSpinBox)
    clip.setValue(0.0)
    assert clip.text() == "Off"


def test_fine_tune_recipe_is_one_choice(qtbot: QtBot) -> None:
    form = TrainingOptionsForm(TrainingOptions(epochs=6), cuda_available=False)
    qtbot.addWidget(form)
    recipe, head = form.fields["recipe"], form.fields["head_epochs"]
    assert isinstance(recipe, QComboBox) and isinstance(head, QSpinBox)
    assert not head.isEnabled(), "head epochs only matter for the fine-tune recipe"
    with qtbot.waitSignal(form.options_edited) as blocker:
        recipe.setCurrentIndex(recipe.findData("finetune"))
    assert blocker.args[0].recipe == "finetune" and head.isEnabled()
    head.setValue(6)  # as many head epochs as epochs: no phase two
    assert form.error_label.isVisibleTo(form) and "head_epochs" in form.error_label.text()
    assert form.current.head_epochs == 3
