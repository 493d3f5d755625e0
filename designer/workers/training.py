"""Train a design on a QThread and hear about it on the GUI thread, at most ~20 times a second.

The engine reports once per batch, which can be thousands of times a second when only a head
trains on cached features. Emitting a queued Qt signal per event would flood the GUI's event
queue, so the worker thread only appends each event to a thread-safe queue and the runner (GUI
thread) drains it on a 50 ms `QTimer`, re-emitting the events in their original order:
iterations in batches (every one of them, none dropped), feature-caching progress coalesced to
the latest, everything else one by one.

The only signal that crosses threads is `done -> QThread.quit`, connected directly (queued, it
would deadlock a GUI thread blocked in `QThread.wait`, DESIGN.md §4). The result is handed over
in a plain object and read after the thread has finished, on `QThread.finished`, which Qt
queues to the runner's (GUI) thread, so views and tests only ever see GUI-thread signals.

The engine itself runs in a child process (designer.workers.training_process), not on the
worker thread: a training thread in this process held the GIL for most of each batch, and the
GUI thread's Python painting (pyqtgraph) waited for it, 50-400 ms at a time under load. The
worker thread starts the child, passes a stop on, and moves the child's events into the same
queue as before; stop, resume, errors, the feature cache (on disk) and the GPU (the child's own
CUDA context) behave as they did in the thread. A child that dies without a result becomes one
message, and the run it had begun is reported (resumable when it completed an epoch).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from designer.project.kfold import KFoldRequest, KFoldSummary
from designer.project.runs import RunRecord
from designer.project.workflow import RunRequest
from designer.training.events import (
    CacheProgressEvent,
    EpochEvent,
    Event,
    FinishedEvent,
    IterationEvent,
    LogEvent,
    StartEvent,
    ValidationEvent,
)
from designer.workers import training_process
from designer.workers.gc_guard import GuiThreadCollection
from designer.workers.training_process import ended_message, run_folders
from designer.workers.training_wire import Failure, FoldStarted, Setup, describe_failure
from designer.workers.unexpected import is_expected, report_unexpected

log = logging.getLogger(__name__)

__all__ = ["FoldStarted", "KFoldRequest", "RunRequest", "TrainingProcessError", "TrainingRunner",
           "cuda_available", "describe_failure"]

#: how often the GUI hears about progress (ms); 50 ms = 20 updates a second
DRAIN_INTERVAL_MS = 50
#: the run request goes to the training process this long after Start (ms): once the window
#: has drawn the click (locked design, greyed form, reset plots); the worker waits at most
#: `SETUP_WAIT_S` for that
SETUP_AFTER_MS = 30
SETUP_WAIT_S = 1.0


def cuda_available() -> bool:
    """Whether the "cuda" device option can work (the options form greys it out otherwise)."""
    return bool(torch.cuda.is_available())


class TrainingProcessError(RuntimeError):
    """A bug raised in the training process, for the crash handler: its text names the
    original exception and its cause carries the child's traceback."""


class _ChildTracebackError(Exception):
    """The training process's traceback, shown as the cause of a `TrainingProcessError`."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0])


@dataclass
class _Job:
    """One run's (or cross-validation's) request, an immutable value, and (filled on the worker
    thread) how it ended."""

    request: RunRequest | KFoldRequest
    queue: deque[Event]
    stop: threading.Event
    run: RunRecord | None = None
    summary: KFoldSummary | None = None
    error: str | None = None
    #: the training process's id while it runs (tests kill it to check a crash is survived)
    pid: int | None = None
    #: set by the GUI thread once it has drawn the Start (see `TrainingRunner.start`)
    go: threading.Event = field(default_factory=threading.Event)


class _Worker(QObject):
    """Lives on the worker thread and supervises the training process of one request."""

    done = Signal()

    def __init__(self, job: _Job) -> None:
        super().__init__()
        self._job = job
        self._home = self.thread()  # the GUI thread, where the runner drops (deletes) it

    @Slot()
    def run(self) -> None:
        job = self._job
        try:
            self._supervise(job)
        except Exception as error:  # every failure is reported to the GUI
            log.warning("training failed outside the engine", exc_info=True)
            if not is_expected(error):
                report_unexpected(error)  # a bug: the crash handler logs it and says so
            job.error = describe_failure(error)
        finally:
            # Back to the GUI thread before the thread ends, so that the runner dropping the
            # last Python reference deletes it there (a deleteLater on the worker thread would
            # race with that deletion and crash).
            self.moveToThread(self._home)
            self.done.emit()

    def _supervise(self, job: _Job) -> None:
        """Run the job in a training process: forward its events and stop, then take its
        result, its failure, or (it died) the message and the run it leaves."""
        request = job.request
        job.go.wait(SETUP_WAIT_S)
        before = run_folders(request.runs_root)
        process = training_process.take()
        job.pid = process.pid
        outcome: tuple[str, object] | None = None
        try:
            process.start(Setup(request, torch.get_num_threads(),
                                logging.getLogger().getEffectiveLevel()))
            while not process.eof:
                if job.stop.is_set():
                    process.stop()
                for kind, payload in process.receive(DRAIN_INTERVAL_MS / 1000):
                    if kind == "events":
                        job.queue.extend(payload)
                    elif kind == "log":
                        logging.getLogger(payload.name).handle(payload)
                    else:
                        outcome = (kind, payload)
            returncode = process.wait()
        finally:
            process.close()
            job.pid = None
        if outcome is None:
            self._ended(job, returncode, before)
        elif isinstance(outcome[1], KFoldSummary):
            job.summary = outcome[1]
        elif isinstance(outcome[1], RunRecord):
            job.run = outcome[1]
        elif isinstance(outcome[1], Failure):
            self._failed(job, outcome[1])

    @staticmethod
    def _failed(job: _Job, failure: Failure) -> None:
        job.error = failure.message
        if failure.bug is not None:
            kind, text, details = failure.bug
            error = TrainingProcessError(f"{kind}: {text}" if text else kind)
            error.__cause__ = _ChildTracebackError(details)
            report_unexpected(error)  # a bug: the crash handler logs it and says so

    @staticmethod
    def _ended(job: _Job, returncode: int, before: set[str]) -> None:
        """The child ended without a word: one message, and the run folder it had begun."""
        request = job.request
        run: RunRecord | None = None
        if isinstance(request, RunRequest):
            if request.resume_dir is not None:
                folder: Path | None = request.resume_dir
            else:
                new = sorted(run_folders(request.runs_root) - before)
                folder = request.runs_root / new[0] if len(new) == 1 else None
            if folder is not None:
                try:
                    run = RunRecord.load(folder)
                except (OSError, ValueError):
                    log.warning("could not read the run left by the training process",
                                exc_info=True)
        log.error("the training process ended with status %d and no result", returncode)
        job.run = run
        job.error = ended_message(returncode, None if run is None else run.resumable)


class TrainingRunner(QObject):
    """Runs one training at a time; every signal is emitted on the GUI thread, in event order."""

    #: training began its first iteration (payload: StartEvent)
    started = Signal(object)
    #: new iterations since the last update, oldest first, none skipped (list[IterationEvent])
    iterations = Signal(list)
    #: a validation pass (ValidationEvent)
    validation = Signal(object)
    #: an epoch ended (EpochEvent)
    epoch = Signal(object)
    #: latest feature-caching progress (CacheProgressEvent)
    cache_progress = Signal(object)
    #: a line for the run log (LogEvent)
    log = Signal(object)
    #: the engine's own end-of-run report (FinishedEvent), before `finished`
    engine_finished = Signal(object)
    #: a cross-validation began a fold (FoldStarted)
    fold_started = Signal(object)
    #: a cross-validation ended (KFoldSummary of the folds done), just before `finished`
    kfold_finished = Signal(object)
    #: training could not run or crashed outside the engine (a user-facing message)
    failed = Signal(str)
    #: emitted last, after the thread has ended: (RunRecord or None, FinishedEvent or None)
    finished = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._job: _Job | None = None
        self._last_finished: FinishedEvent | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)

    @property
    def running(self) -> bool:
        """Whether a run is in progress (until `finished` has been emitted)."""
        return self._thread is not None

    @property
    def stopping(self) -> bool:
        """Whether a stop was requested for the current run."""
        return self._job is not None and self._job.stop.is_set()

    def start(self, request: RunRequest | KFoldRequest) -> None:
        """Carry out `request` (a run, or K runs over folds) on a new thread (its design is a
        snapshot: the live design may keep changing meanwhile, and is never read or written by
        the worker)."""
        if self._thread is not None:
            raise RuntimeError("a training run is already in progress; stop it first")
        job = _Job(request, deque(), threading.Event())
        thread = QThread()
        thread.setObjectName("training")
        worker = _Worker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # quit is thread-safe; a queued quit would deadlock a GUI thread waiting in wait()
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished, Qt.ConnectionType.QueuedConnection)
        self._thread, self._worker, self._job = thread, worker, job
        self._last_finished = None
        GuiThreadCollection.acquire()
        self._timer.start()
        # the request is pickled on the worker thread (~50 ms of GIL, in slices): after the
        # window has drawn what the click changed, which it otherwise did at half speed
        QTimer.singleShot(SETUP_AFTER_MS, job.go.set)
        thread.start()

    @staticmethod
    def prewarm() -> None:
        """Have a training process loading the engine before Start is pressed, when the app
        enabled warm starts (training_process.enable_warm_start); else nothing."""
        training_process.prewarm_if_enabled()

    def stop(self) -> None:
        """Ask the run to stop before its next batch; it saves what it has and finishes."""
        if self._job is not None:
            self._job.stop.set()
            self._job.go.set()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop, join the thread and deliver the last events (window close); True if it ended.
        A spare training process (warm start) is ended too."""
        training_process.discard_spare()
        if self._thread is None:
            return True
        self.stop()
        if not self._thread.wait(timeout_ms):
            log.error("the training run did not stop within %d ms; ending its process",
                      timeout_ms)
            self.kill()  # the folder stays as a kill -9 leaves it: resumable
            return False
        self._on_thread_finished()
        return True

    def kill(self) -> None:
        """End the training process at once (its run keeps every completed epoch)."""
        if self._job is not None and self._job.pid is not None:
            with contextlib.suppress(ProcessLookupError):  # it has just ended
                os.kill(self._job.pid, signal.SIGKILL)

    @property
    def process_id(self) -> int | None:
        """The training process's id while a run is in it (None before and after)."""
        return None if self._job is None else self._job.pid

    @Slot()
    def _drain(self) -> None:
        """Re-emit the queued engine events in order (GUI thread)."""
        if self._job is None:
            return
        GuiThreadCollection.collect_if_due()
        queue = self._job.queue
        batch: list[IterationEvent] = []
        cache: CacheProgressEvent | None = None
        while queue:
            event = queue.popleft()
            if isinstance(event, IterationEvent):
                batch.append(event)
                continue
            if isinstance(event, CacheProgressEvent):
                cache = event
                continue
            batch, cache = self._flush(batch, cache)
            self._dispatch(event)
        self._flush(batch, cache)

    def _flush(self, batch: list[IterationEvent], cache: CacheProgressEvent | None
               ) -> tuple[list[IterationEvent], None]:
        if cache is not None:
            self.cache_progress.emit(cache)
        if batch:
            self.iterations.emit(batch)
        return [], None

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, StartEvent):
            self.started.emit(event)
        elif isinstance(event, ValidationEvent):
            self.validation.emit(event)
        elif isinstance(event, EpochEvent):
            self.epoch.emit(event)
        elif isinstance(event, LogEvent):
            self.log.emit(event)
        elif isinstance(event, FinishedEvent):
            self._last_finished = event
            self.engine_finished.emit(event)
        elif isinstance(event, FoldStarted):
            self.fold_started.emit(event)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return  # already handled by shutdown()
        self._drain()
        self._timer.stop()
        thread, job = self._thread, self._job
        self._thread = self._worker = self._job = None
        thread.wait()  # finished is emitted just before the thread exits: join it for real
        del thread  # the last reference: the finished QThread (and the worker) go here
        GuiThreadCollection.release()
        assert job is not None
        if job.error is not None:
            self.failed.emit(job.error)
        if job.summary is not None:
            self.kfold_finished.emit(job.summary)
        self.finished.emit(job.run, self._last_finished)
