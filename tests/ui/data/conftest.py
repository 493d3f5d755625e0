"""Data-page fixtures: a workspace on the generated shapes at 32 px, and the page shown."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.data import default_sample_root, generated_dataset
from designer.project.data_config import SAMPLE_SHAPES, DataConfig
from designer.ui.data import DataPage
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace

WAIT_MS = 20_000


@pytest.fixture
def workspace(session: DesignSession, tmp_path: Path) -> Workspace:
    space = Workspace(session, project_dir=tmp_path / "project")
    space.set_data_config(DataConfig(source=SAMPLE_SHAPES, image_size=32))
    return space


@pytest.fixture
def page(qtbot: QtBot, workspace: Workspace) -> Iterator[DataPage]:
    """The page shown at the size the main window gives it, with the shapes prepared."""
    widget = DataPage(workspace)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        widget.show()
    yield widget
    widget.shutdown()


FolderMaker = Callable[[tuple[str, ...], int], Path]


@pytest.fixture
def make_folder(tmp_path: Path) -> FolderMaker:
    """make_folder(classes, per_class): a folder "mine" with copies of real generated images."""

    def make(classes: tuple[str, ...], per_class: int) -> Path:
        source = generated_dataset(default_sample_root())
        folder = tmp_path / "mine"
        for name in classes:
            (folder / name).mkdir(parents=True)
            for path in sorted((source / name).iterdir())[:per_class]:
                shutil.copy(path, folder / name / path.name)
        return folder

    return make
