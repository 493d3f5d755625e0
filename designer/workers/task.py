"""Run a plain function on a QThread and hear about it on the GUI thread.

The function is Qt-free (Orange3's TaskState idea): it receives `progress(fraction, message)`
and `cancelled()` callables and returns a result or raises. One started with `start_partial`
also gets `deliver(value)`, which hands a partial result over before the final one (a model's
graph to draw while its weights are still being built). `TaskRunner` lives on the GUI
thread and re-emits everything there, so views and tests never touch worker-thread signals
(pytest-qt's waitSignal on a worker-thread signal breaks; see DESIGN.md §4).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from designer.workers.gc_guard import GuiThreadCollection
from designer.workers.unexpected import is_expected, report_unexpected, unexpected_message

#: how often the GUI thread runs the young collections while a task runs: often enough that
#: one pass scans little (a first open's imports made 25-60 ms generation-1 passes at 100 ms)
COLLECT_EVERY_MS = 25

#: fn(progress, cancelled) -> result
TaskFunction = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]
#: fn(progress, cancelled, deliver) -> result; deliver(value) emits `TaskRunner.partial`
PartialTaskFunction = Callable[[Callable[[float, str], None], Callable[[], bool],
                                Callable[[Any], None]], Any]


class TaskCancelled(Exception):  # noqa: N818 - reads as an event, like StopIteration
    """Raised by a task function that noticed `cancelled()`; reported as cancelled, not failed."""


class _Worker(QObject):
    """Lives on the worker thread; talks to the runner only through queued signals."""

    progressed = Signal(float, str)
    partial = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str, str)  # message, traceback
    cancelled = Signal()
    done = Signal()

    def __init__(self, fn: PartialTaskFunction, cancel_event: threading.Event,
                 min_interval: float, home: QThread) -> None:
        super().__init__()
        self._home = home
        self._fn = fn
        self._cancel = cancel_event
        self._min_interval = min_interval
        self._last_emit = 0.0

    def _progress(self, fraction: float, message: str) -> None:
        """Throttled: the GUI needs a few updates a second, not one per batch."""
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last_emit >= self._min_interval:
            self._last_emit = now
            self.progressed.emit(float(fraction), str(message))

    def _deliver(self, value: object) -> None:
        """Never throttled and never dropped (queued, so it reaches the GUI thread before the
        final result); nothing once the task is cancelled."""
        if not self._cancel.is_set():
            self.partial.emit(value)

    @Slot()
    def run(self) -> None:
        """Run the function and report exactly one of succeeded / failed / cancelled."""
        try:
            result = self._fn(self._progress, self._cancel.is_set, self._deliver)
        except TaskCancelled:
            self.cancelled.emit()
        except Exception as error:  # noqa: BLE001 - every failure is reported to the GUI
            if self._cancel.is_set():
                self.cancelled.emit()
            elif is_expected(error):
                self.failed.emit(str(error) or type(error).__name__, traceback.format_exc())
            else:  # a bug: the crash handler logs it; the view still hears that the task ended
                report_unexpected(error)
                self.failed.emit(unexpected_message(error), traceback.format_exc())
        else:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)
        finally:
            # back to the GUI thread before the thread ends, so the runner dropping the last
            # reference deletes it there (deleteLater on a finished thread races and crashes)
            self.moveToThread(self._home)
            self.done.emit()


class TaskRunner(QObject):
    """Starts one background task at a time and re-emits its events on the GUI thread."""

    started = Signal()
    progressed = Signal(float, str)
    #: a partial result handed over by a task started with `start_partial`, before its end
    partial = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    #: emitted last, after the thread has finished, whatever the outcome
    finished = Signal()

    def __init__(self, parent: QObject | None = None, min_interval: float = 0.05) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel = threading.Event()
        self._min_interval = min_interval
        # collect on the GUI thread while a task runs (see designer.workers.gc_guard)
        self._collect = QTimer(self, interval=COLLECT_EVERY_MS)
        self._collect.timeout.connect(GuiThreadCollection.collect_if_due)

    @property
    def running(self) -> bool:
        """Whether a task is in progress."""
        return self._thread is not None

    def start(self, fn: TaskFunction) -> None:
        """Run `fn` on a new thread; refuses while another task runs."""
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        self.start_partial(lambda progress, cancelled, _deliver: fn(progress, cancelled))

    def start_partial(self, fn: PartialTaskFunction) -> None:
        """Like `start`, and `fn` gets a third argument, `deliver(value)`: each call emits
        `partial(value)` on the GUI thread (before `succeeded`; none after a cancel)."""
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        if self._thread is not None:
            raise RuntimeError("a task is already running")
        self._cancel = threading.Event()
        thread = QThread()
        worker = _Worker(fn, self._cancel, self._min_interval, self.thread())
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self.progressed)
        worker.partial.connect(self.partial)
        worker.succeeded.connect(self.succeeded)
        worker.failed.connect(self.failed)
        worker.cancelled.connect(self.cancelled)
        # quit is thread-safe; a queued quit would deadlock a GUI thread waiting in wait()
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        GuiThreadCollection.acquire()
        self._collect.start()
        thread.start()
        self.started.emit()

    def cancel(self) -> None:
        """Ask the task to stop at its next check of `cancelled()`."""
        self._cancel.set()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the thread ends (for shutdown); True if it ended."""
        return self._thread.wait(timeout_ms) if self._thread is not None else True

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel, join the thread and process its last events (window close, tests)."""
        if self._thread is None:
            return
        self.cancel()
        self._thread.wait(timeout_ms)
        self._on_thread_finished()

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        thread = self._thread
        self._thread = self._worker = None  # the worker is back on this thread; Python frees it
        self._collect.stop()
        GuiThreadCollection.release()
        thread.deleteLater()
        self.finished.emit()
