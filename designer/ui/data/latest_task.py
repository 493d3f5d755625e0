"""Run only the newest request of a kind in the background (thumbnails, previews, preparing).

A view asks for work far more often than it can be done (a slider drag, clicking through a class
list). `LatestTask` keeps one `TaskRunner` busy with the current request, remembers only the
newest pending one, and drops the results of requests that were superseded while running.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from designer.workers.task import TaskFunction, TaskRunner


class LatestTask(QObject):
    """One background job at a time; a new request supersedes the running and pending ones."""

    #: result of the newest request (on the GUI thread)
    succeeded = Signal(object)
    #: the newest request failed: message, traceback
    failed = Signal(str, str)
    #: progress of the running request: fraction, message
    progressed = Signal(float, str)
    #: the running request was cancelled by `cancel()` (not by a newer request)
    cancelled = Signal()
    #: a request started running
    started = Signal()
    #: nothing is running or pending any more
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(self)
        self.runner.started.connect(self.started)
        self.runner.progressed.connect(self.progressed)
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)
        self._pending: TaskFunction | None = None
        self._superseded = False

    @property
    def busy(self) -> bool:
        """A request is running or waiting."""
        return self.runner.running or self._pending is not None

    def submit(self, fn: TaskFunction, *, interrupt: bool = True) -> None:
        """Run `fn` now, or after the running job (cancelled first when `interrupt`)."""
        if not self.runner.running:
            self._superseded = False
            self.runner.start(fn)
            return
        self._pending = fn
        self._superseded = True
        if interrupt:
            self.runner.cancel()

    def cancel(self) -> None:
        """Stop the running job and forget the pending one (user pressed Cancel)."""
        self._pending = None
        self._superseded = False
        self.runner.cancel()

    def shutdown(self) -> None:
        """Join the thread (page closing)."""
        self._pending = None
        self.runner.shutdown()

    def _on_succeeded(self, result: object) -> None:
        if not self._superseded:
            self.succeeded.emit(result)

    def _on_failed(self, message: str, trace: str) -> None:
        if not self._superseded:
            self.failed.emit(message, trace)

    def _on_cancelled(self) -> None:
        if not self._superseded:
            self.cancelled.emit()

    def _on_finished(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._superseded = False
            self.runner.start(pending)
        else:
            self.idle.emit()
