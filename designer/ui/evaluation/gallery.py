"""The images behind one confusion-matrix cell, most confident first.

Each thumbnail is labelled with the true class, the prediction and the confidence; double
clicking shows the image large with its prediction (`ImageViewer`). A list model answers for
any number of images without creating an item per image (a diagonal cell can hold thousands),
and thumbnails arrive from a background loader, the visible ones first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from designer.evaluation import Prediction
from designer.project.runs import RunRecord
from designer.ui.evaluation.run_classifier import ClassifierCache
from designer.ui.evaluation.thumbnails import ThumbnailLoader
from designer.ui.evaluation.viewer import ImageViewer

THUMB = 96
GRID = QSize(THUMB + 36, THUMB + 58)
#: thumbnails asked for beyond the first visible one (a few screens' worth, not the whole cell)
AHEAD = 120
PREDICTION_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


def _filled(colour: QColor) -> QIcon:
    pixmap = QPixmap(THUMB, THUMB)
    pixmap.fill(colour)
    return QIcon(pixmap)


def square_icon(image: QImage) -> QIcon:
    """The thumbnail centred on a transparent square, so every label sits at the same height."""
    square = QPixmap(THUMB, THUMB)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)
    painter.drawImage((THUMB - image.width()) // 2, (THUMB - image.height()) // 2, image)
    painter.end()
    return QIcon(square)


class CellImagesModel(QAbstractListModel):
    """Predictions as list rows: label text, thumbnail (or a placeholder) and tooltip."""

    def __init__(self, loader: ThumbnailLoader, metrics: QFontMetrics,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._metrics = metrics
        self.predictions: list[Prediction] = []
        self.classes: list[str] = []
        self._rows_of: dict[str, list[int]] = {}
        self._icons: dict[str, QIcon] = {}
        self._waiting = _filled(QColor(225, 225, 225))
        self._broken = _filled(QColor(250, 215, 215))
        loader.loaded.connect(self._on_loaded)

    def set_predictions(self, predictions: Sequence[Prediction], classes: Sequence[str]) -> None:
        self.beginResetModel()
        self.predictions, self.classes = list(predictions), list(classes)
        self._rows_of, self._icons = {}, {}
        for row, prediction in enumerate(self.predictions):
            if prediction.path:
                self._rows_of.setdefault(prediction.path, []).append(row)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.predictions)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.predictions):
            return None
        prediction = self.predictions[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._label(prediction)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(prediction.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(prediction)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        if role == PREDICTION_ROLE:
            return prediction
        return None

    def _label(self, prediction: Prediction) -> str:
        width = GRID.width() - 6
        lines = (f"true: {self.classes[prediction.true]}",
                 f"pred: {self.classes[prediction.predicted]}", f"{prediction.confidence:.1%}")
        return "\n".join(self._metrics.elidedText(t, Qt.TextElideMode.ElideRight, width)
                         for t in lines)

    def _tooltip(self, prediction: Prediction) -> str:
        names = self.classes
        top = ", ".join(f"{names[c]} {p:.1%}" for c, p in prediction.top_k[:5])
        where = prediction.path or f"sample #{prediction.index} (no file)"
        return (f"true: {names[prediction.true]}, predicted: {names[prediction.predicted]} "
                f"({prediction.confidence:.1%})\n{where}\ntop predictions: {top}\n"
                "Double-click to see it large.")

    def _icon(self, path: str | None) -> QIcon:
        if not path:
            return self._broken
        icon = self._icons.get(path)
        if icon is None:
            image = self._loader.image(path)
            if image is None:
                return self._waiting
            icon = self._broken if image.isNull() else square_icon(image)
            self._icons[path] = icon
        return icon

    def _on_loaded(self, images: object) -> None:
        assert isinstance(images, dict)
        rows = sorted(r for path in images for r in self._rows_of.get(path, []))
        if rows:
            self.dataChanged.emit(self.index(rows[0]), self.index(rows[-1]),
                                  [Qt.ItemDataRole.DecorationRole])


class CellGallery(QWidget):
    """Thumbnails of a list of predictions with labels; double-click shows one large."""

    def __init__(self, parent: QWidget | None = None, cache: ClassifierCache | None = None) -> None:
        super().__init__(parent)
        self.cache = cache or ClassifierCache()
        self.run: RunRecord | None = None
        self.title = QLabel("Click a cell of the confusion matrix to see its images.")
        self.title.setWordWrap(True)
        self.list = QListView()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(GRID)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(False)  # lines are elided to the grid width by the model
        self.loader = ThumbnailLoader(THUMB, parent=self)
        self.model = CellImagesModel(self.loader, self.list.fontMetrics(), self)
        self.list.setModel(self.model)
        self.list.doubleClicked.connect(self._open)
        self.viewer: ImageViewer | None = None
        self._request_soon = QTimer(self, singleShot=True, interval=60)
        self._request_soon.timeout.connect(self._request_visible)
        self.list.verticalScrollBar().valueChanged.connect(lambda _v: self._request_soon.start())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)

    @property
    def predictions(self) -> list[Prediction]:
        """The samples listed, in display order."""
        return list(self.model.predictions)

    def show_predictions(self, title: str, predictions: Sequence[Prediction],
                         classes: Sequence[str]) -> None:
        """List these samples (already sorted by the caller) under `title`."""
        self.title.setText(title)
        self.model.set_predictions(predictions, classes)
        self.list.scrollToTop()
        self._request_visible()

    def clear(self, message: str) -> None:
        """Show no images, only a message."""
        self.show_predictions(message, [], [])

    def shutdown(self) -> None:
        """Join the thumbnail and Grad-CAM threads."""
        self._request_soon.stop()
        self.loader.shutdown()
        if self.viewer is not None:
            self.viewer.explain.shutdown()

    def _request_visible(self) -> None:
        """Ask for the thumbnails from the first visible image on, a few screens' worth."""
        predictions = self.model.predictions
        if not predictions:
            return
        first = self.list.indexAt(QPoint(GRID.width() // 2, GRID.height() // 2))
        start = max(first.row(), 0)
        self.loader.request([p.path for p in predictions[start:start + AHEAD] if p.path])

    def _open(self, index: QModelIndex) -> None:
        prediction = index.data(PREDICTION_ROLE)
        if not isinstance(prediction, Prediction):
            return
        if self.viewer is None:
            self.viewer = ImageViewer(self.window(), self.cache)
        self.viewer.show_prediction(prediction, self.model.classes, self.run)
