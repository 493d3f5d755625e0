"""`Later`: a view's refresh moved out of the signal that asked for it.

Opening a model or landing its analysis fans one session signal out to every view; run inside
the signal, the canvas, the analyzer table, the inspector and the rest add up in one slice of
the GUI thread (60-110 ms on maxvit_t, above the 50 ms a user feels). A view that refreshes
through `Later` does its work once, at the next turn of the event loop, however many signals
asked for it meanwhile (the inspector heard three per open); a view that is not on screen (a
closed dock, another tab) refreshes when it is next shown instead, so hidden views cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class Later(QObject):
    """Runs `refresh` once after `request()`: at the next event-loop turn if `widget` is
    visible, else as it is shown (before it paints). `flush()` runs a requested refresh now (readers that need
    the view current, tests)."""

    def __init__(self, widget: QWidget, refresh: Callable[[], None]) -> None:
        if not isinstance(widget, QWidget):
            raise TypeError(f"widget must be a QWidget, got {type(widget).__name__}")
        if not callable(refresh):
            raise TypeError("refresh must be callable")
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self._requested = False
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._on_timer)
        widget.installEventFilter(self)

    @property
    def pending(self) -> bool:
        """Whether a requested refresh has not run yet."""
        return self._requested

    def request(self, *_signal_args: object) -> None:
        """Ask for a refresh (cheap; many requests before it runs make one refresh). Connect
        signals straight to it: whatever they carry is ignored, the refresh reads the state."""
        self._requested = True
        if self._widget.isVisible():
            self._timer.start()

    def flush(self) -> None:
        """Run the requested refresh now (no-op when none is pending)."""
        if self._requested:
            self._requested = False
            self._timer.stop()
            self._refresh()

    def _on_timer(self) -> None:
        if self._widget.isVisible():
            self.flush()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Show:
            self.flush()  # before its first paint: a view never shows a stale frame
        return False
