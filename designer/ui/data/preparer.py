"""Turns the data settings into prepared data, in the background, newest settings winning.

Scanning, splitting and the health check (decoding every file) run on a `TaskRunner`. Settings
that only change how images are transformed (augmentation, image size, the model's
preprocessing) re-use the current split and health report and just rebuild the datasets (also
off the GUI thread: linear in the number of images), so an augmentation edit never re-reads the
folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from designer.data import datasets_from_manifest
from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.workers.task import TaskRunner
from designer.zoo.preprocessing import Preprocessing

log = logging.getLogger(__name__)


def same_split(a: DataConfig, b: DataConfig) -> bool:
    """Whether two configs select and split the same images (only transforms may differ)."""
    return (a.source, a.fractions, a.seed, a.cap, a.edits) == (b.source, b.fractions, b.seed, b.cap,
                                                               b.edits)


def rebuild(data: PreparedData, config: DataConfig, pre: Preprocessing) -> PreparedData:
    """The same split and report with datasets built for new transform settings."""
    augment = config.augment if config.augment.enabled else None
    datasets = datasets_from_manifest(data.manifest, pre, augment, image_size=config.image_size)
    return PreparedData(config, data.scan, data.manifest, data.report, datasets)


@dataclass(frozen=True)
class _Request:
    config: DataConfig
    pre: Preprocessing
    force: bool = False


class DataPreparer(QObject):
    """Prepares data for the newest requested settings; reports on the GUI thread."""

    #: preparation started (a full scan and check)
    started = Signal()
    #: progress of the running preparation: fraction, message
    progressed = Signal(float, str)
    #: new prepared data (payload: PreparedData)
    prepared = Signal(object)
    #: preparation failed with a user-readable message
    failed = Signal(str)
    #: the user cancelled; the previous data stays
    cancelled = Signal()
    #: whether a full preparation is running
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current: PreparedData | None = None
        self.preprocessing: Preprocessing | None = None  # what `current` was built with
        self._wanted: _Request | None = None
        self._running: _Request | None = None
        self._full = False  # the running job scans and checks (not just a dataset rebuild)
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(self.progressed)
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)

    @property
    def busy(self) -> bool:
        """Preparing (a full scan and check, or a quick dataset rebuild) is in progress."""
        return self.runner.running

    def request(self, config: DataConfig, pre: Preprocessing, *, force: bool = False) -> None:
        """Prepare for these settings (`force`: re-read the folder even if the split is the same)."""
        self._wanted = _Request(config, pre, force)
        if self._running is not None:
            if force or not same_split(self._running.config, config):
                self.runner.cancel()  # superseded: a different folder or split is wanted now
            return
        self._advance()

    def cancel(self) -> None:
        """Stop the running preparation and keep the previous data."""
        self._wanted = None
        self.runner.cancel()

    def shutdown(self) -> None:
        """Join the worker thread (page closing)."""
        self._wanted = None
        self.runner.shutdown()

    def _advance(self) -> None:
        wanted, self._wanted = self._wanted, None
        if wanted is None:
            return
        current = self.current
        config, pre = wanted.config, wanted.pre
        if current is not None and not wanted.force and same_split(current.config, config):
            if current.config == config and self.preprocessing == pre:
                return  # nothing changed
            self._running, self._full = wanted, False
            self.runner.start(lambda _progress, _cancel: rebuild(current, config, pre))
            return
        self._running, self._full = wanted, True
        self.runner.start(lambda progress, cancel: prepare_data(config, pre, progress=progress,
                                                                cancel=cancel))
        self.started.emit()
        self.busy_changed.emit(True)

    def _accept(self, data: PreparedData, pre: Preprocessing) -> None:
        self.current, self.preprocessing = data, pre
        self.prepared.emit(data)

    def _on_succeeded(self, result: object) -> None:
        assert isinstance(result, PreparedData) and self._running is not None
        self._accept(result, self._running.pre)

    def _on_failed(self, message: str, trace: str) -> None:
        log.info("data preparation failed: %s\n%s", message, trace)
        self.current = None  # the settings name no usable data; the page clears its views
        self.failed.emit(message)

    def _on_cancelled(self) -> None:
        if self._wanted is None:  # the user's cancel, not a newer request
            self.cancelled.emit()

    def _on_finished(self) -> None:
        self._running = None
        if self._full:
            self._full = False
            self.busy_changed.emit(False)
        self._advance()
