"""One evaluated image, large, with what the model said about it (double-click in the gallery).

Inside the app, so it works where no desktop image viewer is set up; "Open in image viewer"
still hands an existing image file to the system's viewer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from designer.evaluation import Prediction
from designer.project.runs import RunRecord
from designer.ui.evaluation import actions
from designer.ui.evaluation.explain import ExplainView
from designer.ui.evaluation.run_classifier import ClassifierCache
from designer.ui.evaluation.thumbnails import load_thumbnail

#: the image is shown at most this large, and small images are enlarged to at least MIN_SIDE
MAX_SIDE = 480
MIN_SIDE = 256


class ImageViewer(QDialog):
    """The image, its true class, the prediction with its confidence, the top five, and beside
    it a Grad-CAM overlay (when the run's model is at hand)."""

    def __init__(self, parent: QWidget | None = None, cache: ClassifierCache | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Image")
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(MIN_SIDE, MIN_SIDE)
        self.verdict = QLabel(textFormat=Qt.TextFormat.RichText)
        self.verdict.setWordWrap(True)
        self.details = QLabel(textFormat=Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open in image viewer")
        self.open_button.clicked.connect(self._open_outside)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.explain = ExplainView(cache, self)
        pictures = QHBoxLayout()
        pictures.addWidget(self.image, 1)
        pictures.addWidget(self.explain, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(pictures, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.prediction: Prediction | None = None

    def show_prediction(self, prediction: Prediction, classes: Sequence[str],
                        run: RunRecord | None = None) -> None:
        """Show this sample (replacing the previous one) and bring the window up; with the
        `run` it came from, Grad-CAM of its predicted class is computed in the background."""
        self.prediction = prediction
        path = prediction.path or ""
        picture = load_thumbnail(path, MAX_SIDE) if path else None
        if picture is None or picture.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText("The image file cannot be read any more.")
        else:
            pixmap = QPixmap.fromImage(picture)
            if max(pixmap.width(), pixmap.height()) < MIN_SIDE:
                pixmap = pixmap.scaled(MIN_SIDE, MIN_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            self.image.setPixmap(pixmap)
        true, predicted = classes[prediction.true], classes[prediction.predicted]
        mark, colour = ("✓ correct", "#1e7b34") if prediction.correct else ("✗ wrong", "#b03a2e")
        self.verdict.setText(
            f'<span style="color:{colour}"><b>{mark}</b></span> — true class '
            f"<b>{html.escape(true)}</b>, predicted <b>{html.escape(predicted)}</b> "
            f"({prediction.confidence:.1%})")
        top = "".join(f"<li>{html.escape(classes[c])}: {p:.1%}</li>"
                      for c, p in prediction.top_k[:5])
        where = html.escape(path) if path else f"sample #{prediction.index} (no file)"
        self.details.setText(f"Top predictions:<ul>{top}</ul>{where}")
        self.open_button.setEnabled(bool(path) and actions.is_image_file(path))
        self.open_button.setText("Open in image viewer")
        self.setWindowTitle(Path(path).name if path else f"Sample #{prediction.index}")
        self.explain.setVisible(run is not None and bool(path))
        if run is not None and path:
            self.explain.explain(run, path)
        self.show()
        self.raise_()
        self.activateWindow()

    def done(self, result: int) -> None:
        self.explain.shutdown()
        super().done(result)

    def _open_outside(self) -> None:
        if self.prediction is not None and self.prediction.path \
                and not actions.open_image(self.prediction.path):
            # a bare desktop has no viewer to hand the file to: say so instead of doing nothing
            self.open_button.setEnabled(False)
            self.open_button.setText("No image viewer found")
