"""The Regularisers group of the options form: shows the options, sends edits, explains itself."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox
from pytestqt.qtbot import QtBot

from designer.training.options import TrainingOptions
from designer.ui.training.options_form import TrainingOptionsForm

NEW = ("sampler", "mixup_alpha", "cutmix_alpha", "ema_decay")


def test_regularisers_show_and_edit_back(qtbot: QtBot) -> None:
    shown = TrainingOptions(sampler="balanced", mixup_alpha=0.2, ema_decay=0.999)
    form = TrainingOptionsForm(shown, cuda_available=False)
    qtbot.addWidget(form)
    sampler, mixup, cutmix, ema = (form.fields[name] for name in NEW)
    assert isinstance(sampler, QComboBox) and sampler.currentData() == "balanced"
    assert isinstance(mixup, QDoubleSpinBox) and mixup.value() == 0.2
    assert isinstance(cutmix, QDoubleSpinBox) and cutmix.text() == "Off"  # 0 reads as off
    assert isinstance(ema, QDoubleSpinBox) and ema.value() == 0.999
    with qtbot.waitSignal(form.options_edited) as blocker:
        cutmix.setValue(1.0)
    edited = blocker.args[0]
    assert (edited.sampler, edited.mixup_alpha, edited.cutmix_alpha, edited.ema_decay) == \
        ("balanced", 0.2, 1.0, 0.999)
    with qtbot.waitSignal(form.options_edited) as blocker:
        ema.setValue(0.0)
    assert blocker.args[0].ema_decay == 0.0
    assert all("0 = off" in form.fields[name].toolTip() for name in NEW[1:])
