"""A dismissable message strip above the canvas: errors without modal dialogs."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


class MessageBanner(QFrame):
    """Shows the latest error message until dismissed (or for `timeout_ms`)."""

    def __init__(self, parent: QWidget | None = None, timeout_ms: int = 15_000) -> None:
        super().__init__(parent)
        self.setStyleSheet("MessageBanner { background: #fdecea; border: 1px solid #e6a39b; "
                           "border-radius: 3px; } QLabel { color: #8a1f11; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self, singleShot=True, interval=timeout_ms)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str) -> None:
        """Display `text` (replacing any previous message)."""
        self.label.setText(text)
        self.show()
        self._timer.start()
