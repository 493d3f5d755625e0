"""Eight random draws of one training image, exactly as the training transform produces them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.data import AugmentOptions, augmented_previews
from designer.project.data_config import PreparedData
from designer.ui.data.images import to_qimage
from designer.ui.data.latest_task import LatestTask
from designer.zoo.preprocessing import Preprocessing

PREVIEW_COUNT = 8
CELL = 168


@dataclass(frozen=True)
class PreviewInputs:
    """Everything the previews depend on."""

    path: Path
    pre: Preprocessing
    augment: AugmentOptions
    image_size: int | None
    seed: int


def render(inputs: PreviewInputs) -> list[QImage]:
    """The previews as QImages (worker thread)."""
    augment = inputs.augment if inputs.augment.enabled else None
    images = augmented_previews(inputs.path, inputs.pre, augment, n=PREVIEW_COUNT,
                                seed=inputs.seed, image_size=inputs.image_size)
    return [to_qimage(image) for image in images]


class PreviewTab(QWidget):
    """Sample picker and a 4 x 2 grid of augmented versions of it."""

    #: new previews are on screen
    updated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("Class of the sample image")
        self.class_combo.currentTextChanged.connect(lambda name: self.set_class(name))
        self.next_button = QPushButton("Another image")
        self.next_button.setToolTip("Preview the next training image of this class")
        self.next_button.clicked.connect(self.next_image)
        self.redraw_button = QPushButton("New random draws")
        self.redraw_button.setToolTip("Draw the random augmentations again")
        self.redraw_button.clicked.connect(self.redraw)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #555")
        self.cells = [QLabel() for _ in range(PREVIEW_COUNT)]
        grid = QGridLayout()
        for i, cell in enumerate(self.cells):
            cell.setFixedSize(CELL, CELL)
            cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.setFrameShape(QFrame.Shape.StyledPanel)
            grid.addWidget(cell, i // 4, i % 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Sample from"))
        top.addWidget(self.class_combo, 1)
        top.addWidget(self.next_button)
        top.addWidget(self.redraw_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.caption)
        layout.addLayout(grid)
        layout.addStretch(1)
        #: the QImages on screen (tests compare them)
        self.images: list[QImage] = []
        #: what the images on screen were rendered from
        self.shown_inputs: PreviewInputs | None = None
        self._data: PreparedData | None = None
        self._pre = Preprocessing()
        self._paths: list[Path] = []
        self._index = 0
        self._pinned = False  # showing an image picked in the thumbnail grid
        self._seed = 0
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self._render)
        self.task = LatestTask(self)
        self.task.succeeded.connect(self._on_rendered)
        self.task.failed.connect(lambda message, _t: self.caption.setText(
            f"Could not preview this image: {message}"))

    def set_data(self, data: PreparedData | None, pre: Preprocessing) -> None:
        """New prepared data or preprocessing: keep the class if it still exists."""
        self._data, self._pre = data, pre
        current = self.class_combo.currentText()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        if data is not None:
            self.class_combo.addItems(data.classes)
            if current in data.classes:
                self.class_combo.setCurrentText(current)
        self.class_combo.blockSignals(False)
        if data is None or not data.classes:
            self._paths, self._pinned = [], False
            self.caption.setText("No data prepared yet.")
            return
        if self._pinned and self._in_data(self._paths[0]):  # the picked image stays
            self.schedule()
            return
        self.set_class(self.class_combo.currentText(), keep_index=True)

    def set_class(self, name: str, keep_index: bool = False) -> None:
        """Preview training images of class `name`."""
        if self._data is None or name not in self._data.classes:
            return
        if self.class_combo.currentText() != name:
            self.class_combo.blockSignals(True)
            self.class_combo.setCurrentText(name)
            self.class_combo.blockSignals(False)
        self._pinned = False
        label = self._data.classes.index(name)
        samples = [s for s in self._data.manifest.samples("train") if s.label == label]
        samples = samples or [s for s in self._data.manifest.samples("val") if s.label == label]
        self._paths = [s.path for s in samples]
        self._index = self._index if keep_index and self._index < len(self._paths) else 0
        self.schedule()

    def set_sample(self, path: Path) -> None:
        """Preview this particular image."""
        self._paths, self._index, self._pinned = [Path(path)], 0, True
        self.schedule()

    def _in_data(self, path: Path) -> bool:
        data = self._data
        if data is None or not path.is_relative_to(data.manifest.root):
            return False
        relative = path.relative_to(data.manifest.root).as_posix()
        return any(e.path == relative for e in data.manifest.entries)

    def next_image(self) -> None:
        """Move to the next image of the class."""
        if self._pinned:
            self._index = -1
            self.set_class(self.class_combo.currentText(), keep_index=True)
        if self._paths:
            self._index = (self._index + 1) % len(self._paths)
            self.schedule()

    def redraw(self) -> None:
        """New random draws of the same image."""
        self._seed += 1
        self.schedule()

    def schedule(self) -> None:
        """Regenerate soon (debounced: several edits in a row render once)."""
        self._timer.start()

    def _inputs(self) -> PreviewInputs | None:
        if self._data is None or not self._paths:
            return None
        config = self._data.config
        return PreviewInputs(self._paths[self._index], self._pre, config.augment,
                             config.image_size, self._seed)

    def _render(self) -> None:
        inputs = self._inputs()
        if inputs is None:
            return
        self.task.submit(lambda _p, _c: (inputs, render(inputs)), interrupt=False)

    def _on_rendered(self, result: object) -> None:
        assert isinstance(result, tuple)
        inputs: PreviewInputs = result[0]
        self.images = list(result[1])
        self.shown_inputs = inputs
        for cell, image in zip(self.cells, self.images, strict=False):
            pixmap = QPixmap.fromImage(image).scaled(
                CELL - 6, CELL - 6, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)
            cell.setPixmap(pixmap)
        size = inputs.image_size or inputs.pre.crop_size
        name = inputs.path.name
        if inputs.augment.enabled:
            text = (f"{name}: {PREVIEW_COUNT} random draws at {size} px, exactly as training sees "
                    "it (before normalisation). Validation and test images are never augmented.")
        else:
            text = (f"{name} at {size} px: augmentation is off, so every epoch sees the same "
                    "resized, centre-cropped image.")
        self.caption.setText(text)
        self.updated.emit()

    def shutdown(self) -> None:
        """Join the render thread."""
        self._timer.stop()
        self.task.shutdown()
