"""Terminal progress for headless training (one updating line, then per-validation lines), and
Ctrl-C as a clean stop.

During training the first Ctrl-C asks the run to stop after the current iteration (the engine
then saves it as a stopped, resumable run) and a second one quits at once (the engine still
saves what it has; only the evaluation afterwards is skipped).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TextIO

from designer.cli._interrupt import interrupted, raise_if_interrupted
from designer.training.callbacks import Callback
from designer.training.events import (
    CacheProgressEvent,
    FinishedEvent,
    IterationEvent,
    LogEvent,
    StartEvent,
    ValidationEvent,
)
from designer.training.run_dir import RunDir


def _bar(fraction: float, width: int = 24) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "·" * (width - filled)


class TerminalProgress(Callback):
    """Prints training progress to a terminal (or plain lines when not a TTY)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def _line(self, text: str, transient: bool = False) -> None:
        if transient and self.tty:
            self.stream.write("\r" + text[:110].ljust(110))
        elif not transient:
            self.stream.write(("\r" if self.tty else "") + text + "\n")
        self.stream.flush()

    def on_start(self, event: StartEvent) -> None:
        self._line(f"training on {event.device} ({event.precision}"
                   f"{', channels_last' if event.channels_last else ''}), "
                   f"{event.epochs} epochs, {event.total_iterations} iterations, "
                   f"{event.trainable_parameters:,} trainable parameters"
                   + (f", features cached in {event.feature_cache}"
                      if event.feature_cache != "off" else ""))

    def on_log(self, event: LogEvent) -> None:
        self._line(f"[{event.level}] {event.message}")

    def on_cache_progress(self, event: CacheProgressEvent) -> None:
        fraction = event.done / max(event.total, 1)
        self._line(f"caching features {_bar(fraction)} {event.done}/{event.total}", transient=True)

    def on_iteration(self, event: IterationEvent) -> None:
        fraction = event.iteration / max(event.total_iterations, 1)
        self._line(f"epoch {event.epoch} {_bar(fraction)} {event.iteration}/"
                   f"{event.total_iterations} loss {event.loss:.3f} acc {event.accuracy:.2f} "
                   f"{event.images_per_second:.0f} img/s ETA {event.eta_seconds:.0f}s",
                   transient=True)

    def on_validation(self, event: ValidationEvent) -> None:
        self._line(f"epoch {event.epoch}: train loss {event.train_loss:.3f} acc "
                   f"{event.train_acc:.3f} | val loss {event.val_loss:.3f} acc {event.val_acc:.3f}"
                   + (" *" if event.is_best else ""))

    def on_finished(self, event: FinishedEvent) -> None:
        if event.reason not in ("error", "diverged", "nan_loss"):  # a failure is the command's one message
            self._line(f"finished ({event.reason}): {event.message}")
        elif self.tty:
            self._line("")


class StopOnInterrupt(Callback):
    """A ``should_stop`` for the engine that Ctrl-C sets, and a callback that notes the run."""

    def __init__(self) -> None:
        self.requested = False
        self.run_dir: Path | None = None
        self.iterations = 0
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.requested

    def __enter__(self) -> StopOnInterrupt:
        raise_if_interrupted()  # a Ctrl-C during start-up that a library swallowed
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def on_finished(self, event: FinishedEvent) -> None:
        self.run_dir = None if event.run_dir is None else Path(event.run_dir)
        self.iterations = event.iterations

    def report(self) -> int:
        """The line after Ctrl-C: where the run is and how to continue it."""
        if self.run_dir is None or not RunDir(self.run_dir, create=False).has_checkpoint():
            where = "" if self.run_dir is None else f" (its folder is {self.run_dir})"
            return interrupted(f"training had not started, so there is nothing to resume{where}.")
        return interrupted(
            f"the run is saved in {self.run_dir} (stopped after {self.iterations} iterations); "
            f"continue it with: netdesigner resume {self.run_dir}")
