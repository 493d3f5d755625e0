"""Model ▸ Load weights trained by train.py…: a generated script's trained.safetensors, back in.

The script names tensors after its own network (``fc.1.weight`` where the design has ``fc``
after an inserted Dropout); finding that name map re-traces the network (seconds), so it runs
in the background (`designer.export.codegen.script_weights`) and the tensors are then loaded on
the GUI thread as one undoable edit, unless the design changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog

from designer.ui.session import DesignSession
from designer.workers.task import TaskRunner

if TYPE_CHECKING:  # torch stays off the window's start-up path
    import torch

    from designer.surgery.design import Design

FILTER = "Weights trained by train.py (*.safetensors);;All files (*)"


class ScriptWeightsLoader(QObject):
    """Asks for the file, maps the names in the background, loads the tensors as one edit."""

    def __init__(self, session: DesignSession) -> None:
        super().__init__(session)
        self.session = session
        self.runner = TaskRunner(self)
        self.runner.succeeded.connect(self._apply)
        self.runner.failed.connect(lambda message, _trace: session.error_occurred.emit(message))

    def ask_path(self) -> Path | None:
        """The file to load (tests replace this)."""
        path, _ = QFileDialog.getOpenFileName(QApplication.activeWindow(),
                                              "Load weights trained by train.py", "", FILTER)
        return Path(path) if path else None

    def ask_and_load(self) -> None:
        design = self.session.design
        if design is None or self.session.locked or self.runner.running:
            return
        path = self.ask_path()
        if path is None:
            return
        graph = design.network.graph  # a new object after any structural edit

        def work(progress: Callable[[float, str], None], _cancelled: Callable[[], bool]) -> object:
            from designer.export.codegen import script_weights  # torch: off the window's start-up

            progress(0.0, f"reading {path.name}")
            return design, graph, path, script_weights(design, path)

        self.session.status.emit(f"Reading {path.name}…")
        self.runner.start(work)

    def _apply(self, result: object) -> None:
        design, graph, path, state = cast("tuple[Design, object, Path, dict[str, torch.Tensor]]", result)
        if self.session.design is not design or design.network.graph is not graph:
            self.session.error_occurred.emit("The design changed while its trained weights were read; "
                                             "load them again.")
            return
        self.session.edit(lambda d: d.apply_state_dict(
            state, f"Load weights trained by train.py ({path.name})"))
        self.session.status.emit(f"Loaded the weights of {path.name}")
