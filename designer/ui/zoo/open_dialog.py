"""Choose the weights a zoo model opens with: pretrained, random, or a file of your own.

The pretrained option says what it costs before the user commits ("cached", "bundled",
"download 45 MB"), so nobody starts a 500 MB download by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from designer.zoo.entry import ZooEntry
from designer.zoo.registry import WeightsChoice, source_of

WEIGHTS_FILTER = "Weights files (*.pth *.pt *.safetensors *.bin *.ckpt);;All files (*)"


def ask_weights_file(parent: QWidget | None) -> Path | None:
    """Ask for a weights file with the standard file dialog; None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, "Import weights file", "", WEIGHTS_FILTER)
    return Path(path) if path else None


def pretrained_label(entry: ZooEntry, status: str) -> str:
    """'Pretrained weights (cached)' / '(bundled)' / '(download 45 MB)'."""
    data = entry.pretraining or "ImageNet"  # timm names what its weights were trained on
    what = f"{data} weights" if entry.has_pretrained_head else f"{data} backbone"
    if status in ("cached", "bundled"):
        cost = status
    elif status == "missing":
        cost = "package not installed"
    else:
        cost = f"download {entry.file_size_mb:.0f} MB" if entry.file_size_mb else \
            f"download from Hugging Face: {entry.hf_repo}" if entry.hf_repo else "download"
    return f"Pretrained {what} ({cost})"


class OpenModelDialog(QDialog):
    """Radio choice of weights; ``weights()`` is what to pass to ``open_model``."""

    def __init__(self, entry: ZooEntry, status: str, parent: QWidget | None = None,
                 file_chooser: Callable[[QWidget | None], Path | None] = ask_weights_file,
                 ) -> None:
        super().__init__(parent)
        self.entry = entry
        self._file_chooser = file_chooser
        self.setWindowTitle(f"Open {entry.display_name}")
        self.setMinimumWidth(420)
        self.pretrained = QRadioButton(pretrained_label(entry, status))
        self.pretrained.setEnabled(status != "missing")
        self.random = QRadioButton("Random weights (train from scratch; nothing to download)")
        self.from_file = QRadioButton("Import weights file…")
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("a .pth, .pt or .safetensors file")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self.choose_file)
        self.path_edit.textChanged.connect(lambda _t: self.from_file.setChecked(True))
        self.group = QButtonGroup(self)
        for button in (self.pretrained, self.random, self.from_file):
            self.group.addButton(button)
        (self.pretrained if status != "missing" else self.random).setChecked(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.group.buttonToggled.connect(lambda *_: self._update())
        self.path_edit.textChanged.connect(lambda _t: self._update())
        self._layout(entry)
        self._update()

    def _layout(self, entry: ZooEntry) -> None:
        size = entry.preprocessing.crop_size
        params = "params not published" if entry.num_params is None \
            else f"{entry.num_params / 1e6:.1f} M params"
        facts = QLabel(f"<b>{entry.display_name}</b> — {params}, {size}×{size} px input")
        facts.setWordWrap(True)
        file_row = QHBoxLayout()
        file_row.setContentsMargins(24, 0, 0, 0)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addWidget(facts)
        for button in (self.pretrained, self.random, self.from_file):
            layout.addWidget(button)
        layout.addLayout(file_row)
        if not entry.has_pretrained_head:
            hint = QLabel("These weights have no classifier head: replace the final layers for "
                          "your classes before predicting.")
            hint.setWordWrap(True)
            layout.addWidget(hint)
        layout.addWidget(self.buttons)

    def choose_file(self) -> None:
        """Browse for a weights file and select the import option."""
        path = self._file_chooser(self)
        if path is not None:
            self.path_edit.setText(str(path))
            self.from_file.setChecked(True)

    def weights(self) -> WeightsChoice:
        """'pretrained' / 'bundled' / 'none' or the chosen file's path."""
        if self.from_file.isChecked():
            return Path(self.path_edit.text().strip())
        if self.pretrained.isChecked():
            return "bundled" if source_of(self.entry).offline else "pretrained"
        return "none"

    def _update(self) -> None:
        ok = not self.from_file.isChecked() or Path(self.path_edit.text().strip()).is_file()
        button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        button.setEnabled(ok)
        button.setToolTip("" if ok else "Choose an existing weights file first.")
