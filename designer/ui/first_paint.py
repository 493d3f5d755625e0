"""Run something once a window has been painted for the first time.

Start-up shows the window first and fills it in behind (model list, start model): work queued
from here starts after the first frame is on screen, not before it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback: Callable[[], None] | None = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            callback, self._callback = self._callback, None
            watched.removeEventFilter(self)
            # queued: the rest of this frame is painted and flushed before the callback runs
            QTimer.singleShot(0, callback)
            self.deleteLater()
        return False


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` (once, on the GUI thread) right after `widget`'s next paint (install it
    before showing the widget to catch the first one)."""
    if not callable(callback):
        raise TypeError(f"callback must be callable, not {type(callback).__name__}")
    widget.installEventFilter(_FirstPaint(widget, callback))
