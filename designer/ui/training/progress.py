"""Where the run is: a progress bar (epoch / iteration), timing, throughput and the setup used."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from designer.training.events import (
    CacheProgressEvent,
    FinishedEvent,
    IterationEvent,
    StartEvent,
)
from designer.ui.formatting import count_text

STAGES = {"train": "training", "val": "validation"}


def duration_text(seconds: float) -> str:
    """75 -> '1:15', 3725 -> '1:02:05'."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar(QProgressBar):
    """A progress bar that never paints inside `setValue`.

    `QProgressBar.setValue` repaints at once (synchronously) whenever the bar visibly changes,
    and a synchronous repaint flushes every pending region of the window with it: the training
    plots' redraw landed inside the iteration and finish handlers (a 265-730 ms stall at the end
    of a run under load). With updates held off around the call the bar is painted with
    everything else in the next frame, and each handler returns at once."""

    def setValue(self, value: int) -> None:
        if self.testAttribute(Qt.WidgetAttribute.WA_ForceUpdatesDisabled):  # held off already
            super().setValue(value)
            return
        self.setUpdatesEnabled(False)
        try:
            super().setValue(value)
        finally:
            self.setUpdatesEnabled(True)  # back on: one ordinary (queued) update


class RunProgress(QWidget):
    """Progress bar plus two lines: timing/throughput and device/precision/feature cache."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = ProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timing = QLabel()
        self.setup = QLabel()
        for label in (self.timing, self.setup):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setup.setStyleSheet("color: #555;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.bar)
        layout.addWidget(self.timing)
        layout.addWidget(self.setup)
        self._epochs = 0
        self._total = 0
        #: put before every bar text (a cross-validation's "Fold 2 of 5   ·   ")
        self.prefix = ""
        self.reset()

    def reset(self, text: str = "Not started") -> None:
        """Idle state (before a run, or after choosing new options)."""
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat(text)
        self.timing.setText("Elapsed –   ·   ETA –   ·   – images/s")
        self.setup.setText("Device, precision and feature cache appear when training starts.")

    def preparing(self) -> None:
        """Between Start and the first event (building the model, choosing the device); the
        previous run's timing and set-up lines go, so nothing stale is shown."""
        self.reset()
        self.bar.setRange(0, 0)  # busy indicator
        self.bar.setFormat(self.prefix + "Preparing…")

    def on_cache_progress(self, event: CacheProgressEvent) -> None:
        """Feature caching runs before the first iteration; show it on the same bar."""
        self.bar.setRange(0, max(event.total, 1))
        self.bar.setValue(event.done)
        stage = STAGES.get(event.stage, event.stage)
        self.bar.setFormat(f"{self.prefix}Caching {stage} features: {event.done} / {event.total} images")

    def on_start(self, event: StartEvent) -> None:
        self._epochs, self._total = event.epochs, event.total_iterations
        self.bar.setRange(0, max(event.total_iterations, 1))
        self.bar.setValue(event.start_iteration)
        self.bar.setFormat(f"{self.prefix}Epoch 1 / {event.epochs}   ·   iteration "
                           f"{event.start_iteration} / "
                           f"{event.total_iterations}")
        parts = [event.device, "mixed precision " + event.precision
                 if event.precision not in ("fp32", "off") else "fp32"]
        if event.channels_last:
            parts.append("channels-last")
        parts.append(f"features cached ({event.feature_cache})" if event.feature_cache != "off"
                     else "features not cached")
        parts.append(f"{count_text(event.trainable_parameters)} trainable parameters")
        self.setup.setText("   ·   ".join(parts))

    def on_iteration(self, event: IterationEvent) -> None:
        """Only the newest iteration of a batch matters for the bar and the labels."""
        self.bar.setRange(0, max(event.total_iterations, 1))
        self.bar.setValue(event.iteration)
        epochs = self._epochs or event.epoch
        self.bar.setFormat(f"{self.prefix}Epoch {event.epoch} / {epochs}   ·   iteration "
                           f"{event.iteration} / "
                           f"{event.total_iterations}")
        self.timing.setText(f"Elapsed {duration_text(event.elapsed)}   ·   "
                            f"ETA {duration_text(event.eta_seconds)}   ·   "
                            f"{event.images_per_second:,.0f} images/s")

    def on_engine_finished(self, event: FinishedEvent) -> None:
        """Training ended; the workflow still evaluates the model before the run is complete."""
        self.bar.setRange(0, 0)
        self.bar.setFormat(f"{self.prefix}Evaluating the trained model…   ({event.reason.replace('_', ' ')})")
        self.timing.setText(f"Elapsed {duration_text(event.elapsed)}   ·   "
                            f"{event.iterations} iterations, {event.epochs_completed} epochs")

    def on_done(self, text: str, iterations: int) -> None:
        """The run is over (finished, stopped or failed): the bar shows how far it got."""
        top = max(self._total, 1)
        self.bar.setRange(0, top)
        self.bar.setValue(min(iterations, top))
        self.bar.setFormat(f"{text}   ·   {iterations} / {self._total} iterations"
                           if self._total else text)
        self._total = 0
