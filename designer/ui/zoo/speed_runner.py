"""Measure many models' latency in the background, one model per task.

One task per model (rather than one ``measure_many`` call) gives each result its own
``succeeded`` signal on the GUI thread, so the table and chart fill in as models finish, and a
cancel keeps everything measured before it. ``designer.zoo.speed`` stores each result in its
cache, so measurements survive a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal

from designer.workers.task import TaskRunner
from designer.zoo import speed


class SpeedMeasurer(QObject):
    """Queue of models to time; reports each result, overall progress and the end."""

    #: a model was timed: (model id, median ms)
    measured = Signal(str, float)
    #: a model could not be timed: (model id, message)
    model_failed = Signal(str, str)
    #: overall progress over the whole queue: (fraction, message)
    progressed = Signal(float, str)
    #: the queue ended: (models measured, models requested, cancelled)
    finished = Signal(int, int, bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(self, min_interval=0.1)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_measured)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._next)
        self._queue: list[str] = []
        self._total = 0
        self._done = 0
        self._current = ""
        self._use_cache = True
        self._cancelled = False

    @property
    def running(self) -> bool:
        """Whether a measurement queue is in progress."""
        return self._total > 0

    def start(self, names: Sequence[str], *, use_cache: bool = True) -> None:
        """Time ``names`` in order; ``use_cache=False`` re-measures models timed before."""
        if self.running:
            raise RuntimeError("a speed measurement is already running")
        if not names:
            self.finished.emit(0, 0, False)
            return
        self._queue = list(names)
        self._total, self._done = len(names), 0
        self._use_cache, self._cancelled = use_cache, False
        self._next()

    def cancel(self) -> None:
        """Stop after the current model's next check; results so far are kept."""
        self._cancelled = True
        self._queue.clear()
        self.runner.cancel()

    def _next(self) -> None:
        if not self.running or self.runner.running:
            return
        if not self._queue:
            total, done, cancelled = self._total, self._done, self._cancelled
            self._total = 0
            self.finished.emit(done, total, cancelled)
            return
        name = self._current = self._queue.pop(0)
        use_cache = self._use_cache
        self.runner.start(_measure_task(name, use_cache))

    def _position(self) -> int:
        return self._total - len(self._queue) - 1

    def _on_progress(self, fraction: float, message: str) -> None:
        overall = (self._position() + fraction) / max(self._total, 1)
        self.progressed.emit(min(overall, 1.0), f"{self._position() + 1}/{self._total}: {message}")

    def _on_measured(self, ms: object) -> None:
        assert isinstance(ms, float)
        self._done += 1
        self.measured.emit(self._current, ms)

    def _on_failed(self, message: str, _traceback: str) -> None:
        self.model_failed.emit(self._current, message)

    def _on_cancelled(self) -> None:
        self._cancelled = True
        self._queue.clear()


def _measure_task(name: str, use_cache: bool) -> Callable[
        [Callable[[float, str], None], Callable[[], bool]], float]:
    def task(progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> float:
        return speed.measure_latency(name, progress=progress, cancel=cancelled,
                                     use_cache=use_cache)
    return task
