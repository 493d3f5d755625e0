"""Where the images come from: a folder of class sub-folders or one of the offline samples."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.data import tuxpaint_source
from designer.data.samples import TUXPAINT_CLASSES
from designer.project.data_config import SAMPLE_SHAPES, SAMPLE_TUXPAINT

TUXPAINT_MISSING = ("The Tux Paint sample photos are not installed. Install them with "
                    "`apt-get install tuxpaint-stamps-default` (Debian/Ubuntu), then restart.")
FOLDER_HELP = ("A folder with one sub-folder per class (cats/, dogs/ …), optionally inside "
               "train/, val/ and test/ folders.")


def choose_directory(parent: QWidget | None, start: str) -> str:
    """Ask for a folder ('' when cancelled); tests replace this function."""
    return QFileDialog.getExistingDirectory(parent, "Choose an image folder", start)


class SourcePanel(QGroupBox):
    """Sample picker, "Choose folder…" and the location of the current data."""

    #: the user picked a source (folder path or "sample:…")
    source_chosen = Signal(str)
    #: the user wants the folder read again (files changed on disk)
    rescan_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Data source", parent)
        self.combo = QComboBox()
        self.combo.setToolTip("The images to train on: a sample that works offline, or your own "
                              "folder")
        self.combo.setModel(self._sample_model())
        self.combo.activated.connect(self._on_activated)
        self.choose_button = QPushButton("Choose folder…")
        self.choose_button.setToolTip(FOLDER_HELP)
        self.choose_button.clicked.connect(self.choose_folder)
        self.rescan_button = QPushButton("Re-scan")
        self.rescan_button.setToolTip("Read the folder again (after adding or removing images)")
        self.rescan_button.clicked.connect(self.rescan_requested)
        self.location = QLabel()
        self.location.setWordWrap(True)
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.location.setStyleSheet("color: #555")
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_button, 1)
        buttons.addWidget(self.rescan_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.combo)
        layout.addLayout(buttons)
        layout.addWidget(self.location)
        self._source = ""

    def _sample_model(self) -> QStandardItemModel:
        model = QStandardItemModel(self)
        tux = QStandardItem(f"Tux Paint photos ({len(TUXPAINT_CLASSES)} classes)")
        tux.setData(SAMPLE_TUXPAINT, Qt.ItemDataRole.UserRole)
        if tuxpaint_source() is None:
            tux.setEnabled(False)
            tux.setToolTip(TUXPAINT_MISSING)
        else:
            tux.setToolTip("Real cut-out photos of animals, food and plants (offline sample)")
        shapes = QStandardItem("Generated shapes (4 classes)")
        shapes.setData(SAMPLE_SHAPES, Qt.ItemDataRole.UserRole)
        shapes.setToolTip("Small synthetic images of coloured shapes, generated on this machine")
        model.appendRow(tux)
        model.appendRow(shapes)
        return model

    @property
    def source(self) -> str:
        """The source currently shown."""
        return self._source

    def set_source(self, source: str) -> None:
        """Show `source` without emitting (a config loaded from elsewhere)."""
        self._source = source
        index = self.combo.findData(source, Qt.ItemDataRole.UserRole)
        if index < 0:
            index = self._folder_item(source)
        self.combo.setCurrentIndex(index)
        self.location.setText(source if not source.startswith("sample:") else "")

    def set_location(self, root: Path | None, summary: str = "") -> None:
        """Where the prepared images were found (and a one-line summary); None: nothing yet."""
        if root is None:  # nothing prepared: show what was chosen
            self.location.setText(self._source if not self._source.startswith("sample:") else "")
            return
        lines = [str(root)]
        if summary:
            lines.append(summary)
        self.location.setText("\n".join(lines))

    def choose_folder(self) -> None:
        """Ask for a folder and switch to it."""
        start = self._source if not self._source.startswith("sample:") else str(Path.home())
        folder = choose_directory(self, start)
        if folder:
            self.pick(folder)

    def pick(self, source: str) -> None:
        """Switch to `source` as if the user chose it."""
        self.set_source(source)
        self.source_chosen.emit(source)

    def _on_activated(self, index: int) -> None:
        source = self.combo.itemData(index, Qt.ItemDataRole.UserRole)
        if isinstance(source, str) and source != self._source:
            self.pick(source)

    def _folder_item(self, folder: str) -> int:
        """Index of the (single) "Folder: …" entry, updated to `folder`."""
        model = self.combo.model()
        assert isinstance(model, QStandardItemModel)
        if model.rowCount() < 3:
            model.appendRow(QStandardItem())
        item = model.item(2)
        item.setText(f"Folder: {Path(folder).name or folder}")
        item.setToolTip(folder)
        item.setData(folder, Qt.ItemDataRole.UserRole)
        return 2
