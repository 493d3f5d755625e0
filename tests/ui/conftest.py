"""Shared by the evaluation and compare page tests: two real runs (tiny mobilenet on the
generated shapes, two learning rates), trained once per session, and a workspace over them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.project.runs import RunRecord
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace

LEARNING_RATES = (1e-3, 3e-2)


@pytest.fixture(autouse=True)
def _discard_unsaved_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows closed at teardown must not wait on a modal "save changes?" box; tests of that
    question set their own answers on `window.projects.prompts`."""
    from designer.ui.project_controller import ProjectPrompts, UnsavedChoice

    monkeypatch.setattr(ProjectPrompts, "unsaved_changes",
                        lambda _self, _before: UnsavedChoice.DISCARD)


@dataclass
class _Trained:
    project_dir: Path
    runs: list[RunRecord]
    data: PreparedData


@pytest.fixture(scope="session")
def _trained(tmp_path_factory: pytest.TempPathFactory) -> _Trained:
    """Trained once per test session: 2 epochs on cached features take a few seconds."""
    project = tmp_path_factory.mktemp("runs-project")
    design = open_model("mobilenet_v3_small", "none", input_size=32)
    data = prepare_data(DataConfig(source="sample:shapes", image_size=32), design.info.preprocessing)
    design.replace_head(4, class_names=data.classes)
    design.freeze_backbone()
    runs = [train_design(design, data, TrainingOptions(epochs=2, batch_size=16, lr=lr),
                         runs_root=project / "runs", name=f"lr {lr:g}")
            for lr in LEARNING_RATES]
    return _Trained(project, runs, data)


@pytest.fixture
def runs(_trained: _Trained) -> list[RunRecord]:
    """The two trained runs, oldest first."""
    return list(_trained.runs)


@pytest.fixture
def data(_trained: _Trained) -> PreparedData:
    """The data the runs were trained and evaluated on."""
    return _trained.data


@pytest.fixture
def workspace(qtbot: QtBot, _trained: _Trained) -> Iterator[Workspace]:
    session = DesignSession()
    yield Workspace(session, project_dir=_trained.project_dir)
    session.shutdown()
