"""The page and the open design: the replace-head banner and the model's preprocessing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from torch import nn
from torchvision.transforms import v2

from designer.surgery.design import Design, DesignInfo
from designer.surgery.opening import open_model
from designer.ui.data import DataPage
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace
from designer.zoo.preprocessing import Preprocessing

WAIT_MS = 20_000


def tiny_design(outputs: int, pre: Preprocessing) -> Design:
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                           nn.Linear(4, outputs))
    return Design.from_module(module, DesignInfo(model_name="tiny", preprocessing=pre,
                                                 input_size=32))


def normalize_mean(data: object) -> list[float]:
    transform = data.datasets["val"].transform  # type: ignore[attr-defined]
    step = next(t for t in transform.transforms if isinstance(t, v2.Normalize))
    return list(step.mean)


def test_replace_final_layers_banner(qtbot: QtBot, page: DataPage, session: DesignSession,
                                     workspace: Workspace) -> None:
    assert page.head_banner.isHidden()  # no design yet
    with qtbot.waitSignal(session.analysis_ready, timeout=WAIT_MS):
        session.set_design(open_model("squeezenet1_1", input_size=32))
    banner = page.head_banner
    assert banner.isVisibleTo(page)
    assert "The model has 1000 outputs but your data has 4 classes" in banner.label.text()
    with qtbot.waitSignal(session.analysis_ready, timeout=WAIT_MS):
        qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
    design = session.design
    assert design is not None
    assert design.num_classes == 4
    assert design.info.class_names == tuple(workspace.data.classes)  # type: ignore[union-attr]
    assert banner.isHidden()


def test_banner_button_is_disabled_while_the_design_trains(qtbot: QtBot, page: DataPage,
                                                           session: DesignSession) -> None:
    session.set_design(tiny_design(10, Preprocessing()))
    assert page.head_banner.isVisibleTo(page)
    session.set_locked(True)
    assert not page.head_banner.button.isEnabled()
    session.set_locked(False)
    assert page.head_banner.button.isEnabled()


def test_design_preprocessing_rebuilds_only_when_it_differs(qtbot: QtBot, page: DataPage,
                                                             session: DesignSession,
                                                             workspace: Workspace) -> None:
    before = workspace.data
    assert before is not None and normalize_mean(before) == pytest.approx([0.485, 0.456, 0.406])
    with qtbot.assertNotEmitted(workspace.data_changed, wait=400):
        session.set_design(tiny_design(4, Preprocessing()))
    assert workspace.data is before
    assert page.head_banner.isHidden()  # 4 outputs for 4 classes
    lite = Preprocessing(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        session.set_design(tiny_design(4, lite))
    after = workspace.data
    assert after is not None and after is not before
    assert normalize_mean(after) == pytest.approx([0.5, 0.5, 0.5])
    assert after.manifest is before.manifest  # the same split, not re-read
