"""Train-page fixtures: a workspace in a temporary project, a tiny design, the shapes sample."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions
from designer.ui.session import DesignSession
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace
from tests.ui.conftest import Show

IMAGE_SIZE = 32


@pytest.fixture
def tiny_design() -> Design:
    """mobilenet_v3_small with random weights at 32 px (1000 outputs until the head is replaced)."""
    return open_model("mobilenet_v3_small", "none", input_size=IMAGE_SIZE)


@pytest.fixture
def shapes(tiny_design: Design) -> PreparedData:
    """The generated shapes sample (4 classes) at 32 px, no augmentation."""
    return prepare_data(DataConfig(source="sample:shapes", image_size=IMAGE_SIZE),
                        tiny_design.info.preprocessing)


@pytest.fixture
def workspace(qtbot: QtBot, tmp_path: Path) -> Iterator[Workspace]:
    session = DesignSession()
    space = Workspace(session, project_dir=tmp_path / "project")
    space.set_options(TrainingOptions(epochs=2, batch_size=8, mixed_precision="off"))
    yield space
    session.shutdown()


@pytest.fixture
def dashboard(show: Show[TrainingDashboard], workspace: Workspace) -> TrainingDashboard:
    return show(TrainingDashboard(workspace))


ReadyToTrain = Callable[..., None]


@pytest.fixture
def ready_to_train(workspace: Workspace) -> ReadyToTrain:
    """Head for the data's classes, backbone frozen (or not), design and data in the workspace."""

    def prepare(design: Design, data: PreparedData, frozen: bool = True) -> None:
        design.replace_head(len(data.classes), class_names=data.classes)
        if frozen:
            design.freeze_backbone()
        workspace.session.set_design(design)
        workspace.set_data(data)

    return prepare
