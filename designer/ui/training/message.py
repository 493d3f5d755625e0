"""A message strip with an optional action button ("Replace final layers", "Open the Data page").

Errors stay until dismissed or replaced: a failed run must not vanish while the user looks away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

Kind = Literal["info", "success", "error"]

_STYLES: dict[str, tuple[str, str, str]] = {  # background, border, text
    "info": ("#e8f0fb", "#a8c1e6", "#1b3d6d"),
    "success": ("#e7f5ea", "#9fd0aa", "#1d5a2b"),
    "error": ("#fdecea", "#e6a39b", "#8a1f11"),
}


class MessageStrip(QFrame):
    """Shows one message of a kind, optionally with one action button.

    ``min_lines``: the strip is at least this many lines of text tall, so that one message
    replacing another (the run's "Training…" by how it ended) usually keeps its height: a
    strip that grows or shrinks resizes everything below it (the training plots: all their
    axes drawn again in one frame)."""

    def __init__(self, parent: QWidget | None = None, *, min_lines: int = 1) -> None:
        super().__init__(parent)
        self.kind: Kind = "info"
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setMinimumHeight(min_lines * self.label.fontMetrics().lineSpacing())
        self.label.setOpenExternalLinks(False)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.action_button.clicked.connect(self._on_action)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(close)
        self._action: Callable[[], None] | None = None
        self.hide()

    def show_message(self, text: str, kind: Kind = "info",
                     action: tuple[str, Callable[[], None]] | None = None) -> None:
        """Display `text`, replacing any previous message; `action` is (button label, callback)."""
        background, border, colour = _STYLES[kind]
        self.kind = kind
        self.setStyleSheet(f"MessageStrip {{ background: {background}; border: 1px solid "
                           f"{border}; border-radius: 3px; }} QLabel {{ color: {colour}; }}")
        self.label.setText(text)
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.show()

    def clear(self) -> None:
        """Hide the message."""
        self._action = None
        self.label.clear()
        self.hide()

    @property
    def text(self) -> str:
        """The message shown ('' when hidden)."""
        return "" if self.isHidden() else self.label.text()

    def _on_action(self) -> None:
        action = self._action
        if action is not None:
            action()
