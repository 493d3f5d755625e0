"""The images behind one confusion-matrix cell, most confident first.

Each thumbnail is labelled with the true class, the prediction and the confidence; double
clicking opens the file. Thumbnails arrive from a background loader, visible ones first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from designer.evaluation import Prediction
from designer.ui.evaluation import actions
from designer.ui.evaluation.thumbnails import ThumbnailLoader

THUMB = 96
PREDICTION_ROLE = Qt.ItemDataRole.UserRole + 2


def _placeholder(size: int, colour: QColor) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(colour)
    return QIcon(pixmap)


class CellGallery(QWidget):
    """Thumbnails of a list of predictions with labels; double-click opens an image."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Click a cell of the confusion matrix to see its images.")
        self.title.setWordWrap(True)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 36, THUMB + 58))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(False)  # lines are elided to the grid width instead (see _item)
        self.list.setLayoutMode(QListView.LayoutMode.Batched)
        self.list.itemDoubleClicked.connect(self._open)
        self.loader = ThumbnailLoader(THUMB, parent=self)
        self.loader.loaded.connect(self._on_loaded)
        self._request_soon = QTimer(self, singleShot=True, interval=60)
        self._request_soon.timeout.connect(self._request_visible)
        self.list.verticalScrollBar().valueChanged.connect(lambda _v: self._request_soon.start())
        self._waiting = _placeholder(THUMB, QColor(225, 225, 225))
        self._broken = _placeholder(THUMB, QColor(250, 215, 215))
        self._items: dict[str, list[QListWidgetItem]] = {}
        self._predictions: list[Prediction] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)

    @property
    def predictions(self) -> list[Prediction]:
        """The samples listed, in display order."""
        return list(self._predictions)

    def show_predictions(self, title: str, predictions: Sequence[Prediction],
                         classes: Sequence[str]) -> None:
        """List these samples (already sorted by the caller) under `title`."""
        self.title.setText(title)
        self.list.clear()
        self._items = {}
        self._predictions = list(predictions)
        for prediction in self._predictions:
            self.list.addItem(self._item(prediction, classes))
        self.list.scrollToTop()
        self._request_visible()

    def clear(self, message: str) -> None:
        """Show no images, only a message."""
        self.show_predictions(message, [], [])

    def shutdown(self) -> None:
        """Join the thumbnail thread."""
        self._request_soon.stop()
        self.loader.shutdown()

    def _item(self, prediction: Prediction, classes: Sequence[str]) -> QListWidgetItem:
        true, predicted = classes[prediction.true], classes[prediction.predicted]
        metrics, width = self.list.fontMetrics(), self.list.gridSize().width() - 6
        lines = [metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
                 for text in (f"true: {true}", f"pred: {predicted}", f"{prediction.confidence:.1%}")]
        item = QListWidgetItem("\n".join(lines))
        item.setData(PREDICTION_ROLE, prediction)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        runners_up = ", ".join(f"{classes[c]} {p:.1%}" for c, p in prediction.top_k[:5])
        item.setToolTip(f"true: {true}, predicted: {predicted} ({prediction.confidence:.1%})\n"
                        f"{prediction.path or 'sample #' + str(prediction.index)}\n"
                        f"top predictions: {runners_up}\nDouble-click to open the image.")
        if prediction.path is None:
            item.setIcon(self._broken)
            return item
        cached = self.loader.image(prediction.path)
        item.setIcon(self._waiting if cached is None else self._icon(cached))
        self._items.setdefault(prediction.path, []).append(item)
        return item

    def _icon(self, image: QImage) -> QIcon:
        """The thumbnail centred on a square, so every label sits at the same height."""
        if image.isNull():
            return self._broken
        square = QPixmap(THUMB, THUMB)
        square.fill(Qt.GlobalColor.transparent)
        painter = QPainter(square)
        painter.drawImage((THUMB - image.width()) // 2, (THUMB - image.height()) // 2, image)
        painter.end()
        return QIcon(square)

    def _request_visible(self) -> None:
        """Ask for thumbnails from the first visible item on (then the ones above it)."""
        if not self._predictions:
            return
        first = self.list.indexAt(QPoint(THUMB // 2, THUMB // 2))
        start = max(first.row(), 0)
        ordered = self._predictions[start:] + self._predictions[:start]
        self.loader.request([p.path for p in ordered if p.path is not None])

    def _on_loaded(self, images: object) -> None:
        assert isinstance(images, dict)
        for path, image in images.items():
            icon = self._icon(image)
            for item in self._items.get(path, []):
                item.setIcon(icon)

    def _open(self, item: QListWidgetItem) -> None:
        prediction = item.data(PREDICTION_ROLE)
        if isinstance(prediction, Prediction) and prediction.path:
            actions.open_image(prediction.path)
