"""Offers to replace the final layers when the model's outputs do not match the classes.

Its button is the shared "Replace final layers for the data's classes" action
(`designer.ui.actions`), so it is worded, enabled (locked while training) and run as in the
Model menu.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


def mismatch_text(outputs: int | None, classes: int) -> str:
    """The banner's sentence ('' when they match or nothing is known)."""
    if outputs is None or classes == 0 or outputs == classes:
        return ""
    return (f"The model has {outputs} output{'s' if outputs != 1 else ''} but your data has "
            f"{classes} classes.")


class HeadBanner(QFrame):
    """A strip with the mismatch and a button for `action` (replace the final layers)."""

    def __init__(self, action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HeadBanner")
        self.setStyleSheet("#HeadBanner { background: #e8f1fb; border: 1px solid #8fb4df; "
                           "border-radius: 3px; } QLabel { color: #173f6b; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.button = QToolButton()
        self.button.setDefaultAction(action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def update_for(self, outputs: int | None, classes: int) -> None:
        """Show or hide for this output size and class count."""
        text = mismatch_text(outputs, classes)
        self.label.setText(text)
        self.setVisible(bool(text))
