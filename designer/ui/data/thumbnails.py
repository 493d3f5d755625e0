"""A thumbnail grid per class; thumbnails load in the background as training decodes them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.project.data_config import PreparedData
from designer.ui.data.images import THUMB_SIZE, Thumbnail, load_thumbnails
from designer.ui.data.latest_task import LatestTask

MAX_THUMBNAILS = 24
_SPLIT_ORDER = {"train": 0, "val": 1, "test": 2}


def class_images(data: PreparedData, name: str, limit: int = MAX_THUMBNAILS) -> list[tuple[Path, str]]:
    """(path, split) of up to `limit` images of class `name`, training images first."""
    label = data.classes.index(name)
    entries = sorted((e for e in data.manifest.entries if e.label == label),
                     key=lambda e: (_SPLIT_ORDER.get(e.split, 3), e.path))
    return [(data.manifest.root / e.path, e.split) for e in entries[:limit]]


class ThumbnailsTab(QWidget):
    """Class list on the left, that class's images on the right."""

    #: thumbnails of a class are on screen (payload: class name)
    loaded = Signal(str)
    #: the user picked a class (payload: class name)
    class_selected = Signal(str)
    #: the user double-clicked an image (payload: Path)
    image_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.classes = QListWidget()
        self.classes.setToolTip("Pick a class to see its images")
        self.classes.setMaximumWidth(200)
        self.classes.currentRowChanged.connect(self._on_class_row)
        self.grid = QListWidget()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.grid.setGridSize(QSize(THUMB_SIZE + 16, THUMB_SIZE + 30))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setToolTip("Double-click an image to preview its augmentation")
        self.grid.itemDoubleClicked.connect(
            lambda item: self.image_activated.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.caption = QLabel()
        self.caption.setStyleSheet("color: #555")
        right = QVBoxLayout()
        right.addWidget(self.caption)
        right.addWidget(self.grid, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.classes)
        layout.addLayout(right, 1)
        self.task = LatestTask(self)
        self.task.succeeded.connect(self._on_loaded)
        self.task.failed.connect(lambda message, _t: self.caption.setText(
            f"Could not load thumbnails: {message}"))
        self._data: PreparedData | None = None
        self._class = ""

    @property
    def data(self) -> PreparedData | None:
        """The data whose images are shown."""
        return self._data

    @property
    def current_class(self) -> str:
        """The class whose images are shown."""
        return self._class

    def show_data(self, data: PreparedData | None) -> None:
        """List the classes of `data` and show the first (or the previously chosen) one."""
        self._data = data
        previous = self._class
        self.classes.blockSignals(True)
        self.classes.clear()
        if data is not None:
            counts = data.manifest.counts()
            for name in data.classes:
                total = sum(counts[s][name] for s in counts)
                item = QListWidgetItem(f"{name}  ({total})")
                item.setData(Qt.ItemDataRole.UserRole, name)
                self.classes.addItem(item)
        self.classes.blockSignals(False)
        self.grid.clear()
        self._class = ""
        if data is None or not data.classes:
            self.caption.setText("No data prepared yet.")
            return
        self.select_class(previous if previous in data.classes else data.classes[0])

    def select_class(self, name: str) -> None:
        """Show the images of class `name`."""
        if self._data is None or name not in self._data.classes:
            return
        row = self._data.classes.index(name)
        if self.classes.currentRow() != row:
            self.classes.setCurrentRow(row)  # comes back through _on_class_row
            return
        self._load(name)

    def _on_class_row(self, row: int) -> None:
        if self._data is not None and 0 <= row < len(self._data.classes):
            self._load(self._data.classes[row])

    def _load(self, name: str) -> None:
        assert self._data is not None
        self._class = name
        items = class_images(self._data, name)
        total = sum(e.label == self._data.classes.index(name) for e in self._data.manifest.entries)
        self.caption.setText(f"Loading {len(items)} images of {name!r}…")
        self._caption = (f"{name!r}: showing {len(items)} of {total} images"
                         " (training images first; the label under each says its split)")
        self.class_selected.emit(name)
        self.task.submit(lambda progress, cancelled: (name, load_thumbnails(items, progress,
                                                                            cancelled)))

    def _on_loaded(self, result: object) -> None:
        assert isinstance(result, tuple)
        name: str = result[0]
        thumbs: list[Thumbnail] = result[1]
        if name != self._class:
            return
        self.grid.clear()
        for thumb in thumbs:
            item = QListWidgetItem(self._icon(thumb.image), thumb.split)
            root = self._data.manifest.root if self._data is not None else None
            shown = thumb.path.relative_to(root) if root and thumb.path.is_relative_to(root) else thumb.path
            item.setToolTip(f"{shown}\n{thumb.split} split" + (f"\n{thumb.error}" if thumb.error else ""))
            item.setData(Qt.ItemDataRole.UserRole, thumb.path)
            self.grid.addItem(item)
        self.caption.setText(self._caption)
        self.loaded.emit(name)

    @staticmethod
    def _icon(image: QImage | None) -> QIcon:
        if image is None:
            pixmap = QPixmap(THUMB_SIZE, THUMB_SIZE)
            pixmap.fill(QColor(230, 200, 200))
            return QIcon(pixmap)
        return QIcon(QPixmap.fromImage(image))

    def shutdown(self) -> None:
        """Join the loader thread."""
        self.task.shutdown()
