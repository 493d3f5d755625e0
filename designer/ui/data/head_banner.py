"""Offers to replace the final layers when the model's outputs do not match the classes."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


def mismatch_text(outputs: int | None, classes: int) -> str:
    """The banner's sentence ('' when they match or nothing is known)."""
    if outputs is None or classes == 0 or outputs == classes:
        return ""
    return (f"The model has {outputs} output{'s' if outputs != 1 else ''} but your data has "
            f"{classes} classes.")


class HeadBanner(QFrame):
    """A strip with the mismatch and a "Replace final layers" button."""

    #: the user asked to replace the final layers
    replace_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HeadBanner")
        self.setStyleSheet("#HeadBanner { background: #e8f1fb; border: 1px solid #8fb4df; "
                           "border-radius: 3px; } QLabel { color: #173f6b; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.button = QPushButton("Replace final layers")
        self.button.setToolTip("Swap the model's last layer for a new one with one output per "
                               "class (the other pretrained weights are kept)")
        self.button.clicked.connect(self.replace_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def update_for(self, outputs: int | None, classes: int, locked: bool = False) -> None:
        """Show or hide for this output size and class count."""
        text = mismatch_text(outputs, classes)
        self.label.setText(text)
        self.button.setEnabled(not locked)
        self.button.setToolTip("Editing is locked while this design trains" if locked else
                               "Swap the model's last layer for a new one with one output per "
                               "class (the other pretrained weights are kept)")
        self.setVisible(bool(text))
