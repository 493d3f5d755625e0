"""The "Measure speed" button with its progress bar and Cancel, over a ``SpeedMeasurer``.

Which models it times is the browser's business (``targets`` callback): the panel decides
only whether to measure the missing ones or, when all are measured, to re-measure them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from designer.ui.zoo.chart_points import ms_per_gflop
from designer.ui.zoo.speed_runner import SpeedMeasurer
from designer.zoo.registry import get_entry, list_entries

_STEPS = 1000
#: ask before starting a measurement estimated to take longer than this
CONFIRM_ABOVE_S = 120.0
_RUNS = 12  # measure_latency's default warm-up + repeats
_BUILD_S = 0.5  # building a model with random weights, typical


def estimated_seconds(names: list[str], latency: Callable[[str], float | None]) -> float:
    """Rough wall time to time ``names``: GFLOPs at this machine's measured speed."""
    entries = [get_entry(n) for n in names]
    ratio = ms_per_gflop(list_entries(), latency)
    return sum(_BUILD_S + _RUNS * ratio * (e.gflops or 1.0) / 1000.0 for e in entries)


class MeasurePanel(QWidget):
    """Button + progress row; results go to ``measurer.measured``."""

    def __init__(self, targets: Callable[[], tuple[list[str], str]],
                 latency: Callable[[str], float | None], parent: QWidget | None = None,
                 *, confirm_long: Callable[[int, float], bool] | None = None) -> None:
        super().__init__(parent)
        self._targets = targets
        self._latency = latency
        self._confirm_long = confirm_long
        self.measurer = SpeedMeasurer(self)
        self.button = QPushButton("Measure speed")
        self.button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setRange(0, _STEPS)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.measurer.cancel)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self._failures: list[str] = []
        self.measurer.progressed.connect(self._on_progress)
        self.measurer.model_failed.connect(lambda name, msg: self._failures.append(
            f"{name}: {msg}"))
        self.measurer.finished.connect(self._on_finished)
        self._set_running(False)

    def plan(self) -> tuple[list[str], bool, str]:
        """(models to time, use the cache, what they are) for the current targets."""
        names, what = self._targets()
        missing = [n for n in names if self._latency(n) is None]
        if missing:
            return missing, True, what
        return names, False, what

    def refresh_label(self) -> None:
        """Say on the button how many models a click will time."""
        names, use_cache, what = self.plan()
        verb = "Measure speed" if use_cache else "Re-measure speed"
        self.button.setText(f"{verb} ({len(names)})")
        self.button.setEnabled(bool(names) and not self.measurer.running)
        self.button.setToolTip(
            f"Time one forward pass of the {what} on this machine's CPU with random weights "
            "(nothing is downloaded). Results are kept for the next start.")

    def start(self) -> None:
        """Time the planned models in the background."""
        names, use_cache, _what = self.plan()
        if not names or self.measurer.running:
            return
        seconds = estimated_seconds(names, self._latency)
        if (seconds > CONFIRM_ABOVE_S and self._confirm_long is not None
                and not self._confirm_long(len(names), seconds)):
            return
        self._failures = []
        self._set_running(True)
        self.progress.setValue(0)
        self.message.setText(f"Timing {len(names)} model(s)…")
        self.measurer.start(names, use_cache=use_cache)

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.button.setEnabled(not running)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * _STEPS))
        self.progress.setFormat(f"{fraction:.0%}")
        self.message.setText(message)

    def _on_finished(self, done: int, total: int, cancelled: bool) -> None:
        self._set_running(False)
        text = f"Timed {done} of {total} model(s)" + (" (cancelled)." if cancelled else ".")
        if self._failures:
            text += " Failed: " + "; ".join(self._failures)
        self.message.setText(text)
        self.refresh_label()
