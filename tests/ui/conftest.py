"""Shared by the evaluation and compare page tests: two real runs (tiny mobilenet on the
generated shapes, two learning rates), trained once per session, and a workspace over them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.project.runs import RunRecord
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace

if TYPE_CHECKING:
    from designer.ui.main_window import MainWindow

LEARNING_RATES = (1e-3, 3e-2)

W = TypeVar("W", bound=QWidget)
Show = Callable[..., W]


@pytest.fixture
def session(qtbot: QtBot) -> Iterator[DesignSession]:
    """A design session of the test's own; its worker threads are joined afterwards."""
    own = DesignSession()
    yield own
    own.shutdown()


@pytest.fixture
def show(qtbot: QtBot, request: pytest.FixtureRequest) -> Show[QWidget]:
    """`show(widget, size=(1100, 700))`: the widget shown and exposed at the size the main
    window gives a page; its `shutdown()` (when it has one) runs at teardown."""
    def shown(widget: W, size: tuple[int, int] = (1100, 700)) -> W:
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        qtbot.waitExposed(widget)
        stop = getattr(widget, "shutdown", None)
        if callable(stop):
            request.addfinalizer(stop)
        return widget
    return shown


@pytest.fixture(autouse=True)
def _discard_unsaved_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows closed at teardown must not wait on a modal "save changes?" box; tests of that
    question set their own answers on `window.projects.prompts`."""
    from designer.ui.project_controller import ProjectPrompts, UnsavedChoice

    monkeypatch.setattr(ProjectPrompts, "unsaved_changes",
                        lambda _self, _before: UnsavedChoice.DISCARD)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """The real main window on a new project in tmp_path, resnet18 (random weights, 32 px) open."""
    from designer.ui.main_window import MainWindow

    win = MainWindow(restore_layout=False)
    win.projects.new(tmp_path / "project")
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.session.analysis_ready, timeout=20_000):
        win.session.set_design(open_model("resnet18", input_size=32))
    return win


class AppProcess:
    """Starts the real app (tests/ui/drive_app.py around designer.app.run_gui) in a child
    process with its own home, settings and data folders, and reads what the driver reports."""

    driver = Path(__file__).with_name("drive_app.py")

    def __init__(self, home: Path) -> None:
        self.env = dict(os.environ)
        for key in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                    "XDG_RUNTIME_DIR"):
            self.env[key] = str(home / key.lower())
            Path(self.env[key]).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2]),
                                                  self.env.get("PYTHONPATH", "")])

    def command(self, mode: str, model: str = "mobilenet_v3_small") -> list[str]:
        """The child's command line."""
        return [sys.executable, str(self.driver), mode, model]

    def run(self, mode: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run to the end (the driver quits the app itself)."""
        return subprocess.run(self.command(mode), env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    @staticmethod
    def reports(output: str) -> dict[str, object]:
        """Every JSON line the driver printed, merged."""
        merged: dict[str, object] = {}
        for line in output.splitlines():
            if line.startswith("{"):
                merged.update(json.loads(line))
        return merged


@pytest.fixture
def app_process(tmp_path: Path) -> AppProcess:
    """The real app in a child process, with a private home under tmp_path."""
    return AppProcess(tmp_path / "home")


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
