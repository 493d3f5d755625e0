"""A TaskRunner that keeps Python's garbage collection on the GUI thread while its task runs.

The cyclic collector runs on whichever thread allocates when a threshold is crossed. On a
worker thread it destroys unreachable Qt objects (closed widgets, pyqtgraph items in reference
cycles) off the GUI thread, which crashes Qt: seen here as a segfault "Garbage-collecting"
inside `run_design` on a TaskRunner thread. The training runner pauses automatic collection
for the same reason; this borrows its switch, so both agree on when collection is back on.
Stop-gap: `designer.workers.task.TaskRunner` should do this itself, then this class can go.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from designer.workers.task import TaskFunction, TaskRunner
from designer.workers.training import _GuiThreadCollection

#: how often the GUI thread does the young-generation collections the worker may not
COLLECT_MS = 100


class GuiGcTaskRunner(TaskRunner):
    """`TaskRunner` with automatic GC paused (and done from a GUI timer) while a task runs."""

    def __init__(self, parent: QObject | None = None, min_interval: float = 0.05) -> None:
        super().__init__(parent, min_interval)
        self._collect = QTimer(self)
        self._collect.setInterval(COLLECT_MS)
        self._collect.timeout.connect(_GuiThreadCollection.collect_if_due)
        self._holding = False
        self.finished.connect(self._release)

    def start(self, fn: TaskFunction) -> None:
        """Pause automatic collection, then start `fn` on its thread."""
        if self.running:
            raise RuntimeError("a task is already running")
        _GuiThreadCollection.acquire()
        self._holding = True
        self._collect.start()
        try:
            super().start(fn)
        except Exception:
            self._release()
            raise

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self._collect.stop()
            _GuiThreadCollection.release()
