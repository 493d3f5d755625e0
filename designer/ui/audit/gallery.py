"""The selected images, with the label they have now (after relabelling), thumbnails decoded
off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from designer.ui.evaluation.thumbnails import ThumbnailLoader

#: more than this many selected: the first ones are shown (the count says how many)
SHOWN = 200
_SIDE = 72


class SelectionGallery(QListWidget):
    """One row of thumbnails: caption = current label and split (or what happened to it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(_SIDE, _SIDE))
        self.setGridSize(QSize(_SIDE + 40, _SIDE + 40))
        self.setFixedHeight(_SIDE + 66)
        self.setWrapping(False)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setMovement(QListWidget.Movement.Static)
        self.setUniformItemSizes(True)
        self.loader = ThumbnailLoader(size=_SIDE, parent=self)
        self.loader.loaded.connect(self._on_loaded)
        self._items: dict[str, QListWidgetItem] = {}

    def show_images(self, images: Sequence[tuple[str, str, str]]) -> None:
        """(absolute path, caption, tooltip) per image, in order."""
        self.clear()
        self._items = {}
        for path, caption, tip in images[:SHOWN]:
            item = QListWidgetItem(_square(self.loader.image(path)), caption)
            item.setToolTip(tip)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
            self._items[path] = item
        self.loader.request([p for p, _c, _t in images[:SHOWN]])

    def captions(self) -> list[str]:
        """The captions shown, in order (what the user reads under the thumbnails)."""
        return [self.item(i).text() for i in range(self.count())]

    def shutdown(self) -> None:
        self.loader.shutdown()

    def _on_loaded(self, images: object) -> None:
        assert isinstance(images, dict)
        for path, image in images.items():
            item = self._items.get(path)
            if item is not None:
                item.setIcon(_square(image))


def _square(image: QImage | None) -> QIcon:
    """The thumbnail centred on a white square (grey while loading), so every item has the
    same size and the row's layout never shifts as thumbnails arrive."""
    square = QPixmap(_SIDE, _SIDE)
    square.fill(Qt.GlobalColor.lightGray if image is None else Qt.GlobalColor.white)
    if image is not None and not image.isNull():
        painter = QPainter(square)
        painter.drawImage(QPoint((_SIDE - image.width()) // 2, (_SIDE - image.height()) // 2),
                          image)
        painter.end()
    return QIcon(square)
