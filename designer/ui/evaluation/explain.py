"""Grad-CAM over an image: where the model looked to say a class, with opacity, class and layer.

The heat map is computed on a worker thread (designer.evaluation.gradcam, the run's model from
the shared :class:`ClassifierCache`); changing the opacity only repaints, changing the class or
the layer computes again (the latest request wins, earlier ones are dropped).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from designer.data import load_rgb
from designer.evaluation.gradcam import feature_layers, grad_cam, heat_colours, model_view
from designer.project.runs import RunRecord
from designer.ui.evaluation.run_classifier import ClassifierCache
from designer.workers.task import TaskRunner

#: side of the shown picture (the model's view is scaled to it)
SIDE = 320


@dataclass(frozen=True)
class ExplainRequest:
    """What to explain: an image file, for a class (None: the predicted one) at a layer."""

    path: str
    target: int | None = None
    layer: str | None = None


@dataclass(frozen=True)
class ExplainedImage:
    """A computed overlay: the model's view and the coloured heat map (QImages of one size)."""

    request: ExplainRequest
    base: QImage
    heat: QImage
    target: int
    layer: str
    layers: list[str]
    classes: list[str]
    probabilities: list[float]


def _qimage(pixels: torch.Tensor) -> QImage:
    """H x W x 3 uint8 -> a QImage that owns its pixels (built off the GUI thread: allowed)."""
    height, width, _ = pixels.shape
    data = pixels.contiguous().numpy().tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def explain_task(run: RunRecord, cache: ClassifierCache, request: ExplainRequest
                 ) -> Callable[[Callable[[float, str], None], Callable[[], bool]], ExplainedImage]:
    """A TaskRunner function: load the model (once), prepare the image, run Grad-CAM."""
    def run_it(progress: Callable[[float, str], None], _cancelled: Callable[[], bool]
               ) -> ExplainedImage:
        progress(0.0, "Loading the run's model…")
        with cache.use(run) as classifier:
            prepared = classifier.transform(load_rgb(request.path))
            progress(0.3, "Computing Grad-CAM…")
            layers = feature_layers(classifier.model, prepared)
            explanation = grad_cam(classifier.model, prepared, request.target, request.layer,
                                   classifier.temperature)
            base = model_view(prepared, classifier.mean, classifier.std)
            classes = list(classifier.classes)
        return ExplainedImage(request, _qimage(base), _qimage(heat_colours(explanation.heatmap)),
                              explanation.target, explanation.layer, layers, classes,
                              explanation.probabilities.tolist())

    return run_it


def blend(base: QImage, heat: QImage, opacity: float, side: int = SIDE) -> QPixmap:
    """The model's view with the heat map painted over it at ``opacity`` (0..1), scaled up."""
    pixmap = QPixmap(base.size())
    painter = QPainter(pixmap)
    painter.drawImage(0, 0, base)
    painter.setOpacity(max(0.0, min(1.0, opacity)))
    painter.drawImage(0, 0, heat)
    painter.end()
    return pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)


class ExplainView(QWidget):
    """The overlay with its controls: class, layer, opacity; and a line saying what it shows."""

    #: a heat map is on screen (an ExplainedImage)
    explained = Signal(object)

    def __init__(self, cache: ClassifierCache | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = cache or ClassifierCache()
        self.run: RunRecord | None = None
        self.shown: ExplainedImage | None = None
        self._pending: ExplainRequest | None = None
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(SIDE, SIDE)
        self.class_box = QComboBox()
        self.class_box.setToolTip("Show where the model finds evidence for this class "
                                  "(the predicted class first)")
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The layer whose feature map is explained: the last one keeps "
                                  "the most class meaning, earlier ones finer detail")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(50)
        self.opacity.setToolTip("Opacity of the heat map over the image")
        self.status = QLabel("Grad-CAM shows which parts of the image made the model say a class.")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.runner = TaskRunner(self)
        self.runner.succeeded.connect(self._on_done)
        self.runner.failed.connect(lambda text, _trace: self.status.setText(
            f"Cannot compute Grad-CAM: {html.escape(text)}"))
        self.runner.finished.connect(self._start_pending)
        self.opacity.valueChanged.connect(lambda _v: self._paint())
        self.class_box.activated.connect(lambda _i: self._recompute())
        self.layer_box.activated.connect(lambda _i: self._recompute())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Class:"))
        controls.addWidget(self.class_box, 1)
        controls.addWidget(QLabel("Layer:"))
        controls.addWidget(self.layer_box, 1)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Heat map opacity:"))
        opacity_row.addWidget(self.opacity, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 1)
        layout.addLayout(controls)
        layout.addLayout(opacity_row)
        layout.addWidget(self.status)

    def explain(self, run: RunRecord, path: str, target: int | None = None,
                layer: str | None = None) -> None:
        """Compute and show Grad-CAM of `path` (queued behind a computation in progress)."""
        if self.run is None or self.run.run_dir != run.run_dir:
            self.shown = None
        self.run = run
        self._pending = ExplainRequest(str(path), target, layer)
        self.status.setText(f"Computing Grad-CAM for {Path(path).name}…")
        self._start_pending()

    def shutdown(self) -> None:
        self._pending = None
        self.runner.shutdown()

    def _recompute(self) -> None:
        if self.shown is None or self.run is None:
            return
        target = self.class_box.currentData()
        layer = self.layer_box.currentText() or None
        self.explain(self.run, self.shown.request.path, target, layer)

    def _start_pending(self) -> None:
        if self._pending is None or self.run is None or self.runner.running:
            return
        request, self._pending = self._pending, None
        self.runner.start(explain_task(self.run, self.cache, request))

    def _on_done(self, payload: object) -> None:
        assert isinstance(payload, ExplainedImage)
        self.shown = payload
        self._fill_choices(payload)
        self._paint()
        name = payload.classes[payload.target] if payload.target < len(payload.classes) \
            else str(payload.target)
        self.status.setText(
            f"Where the model sees <b>{html.escape(name)}</b> ({payload.probabilities[payload.target]:.1%}): "
            f"red = strong evidence; layer {payload.layer}. The image is shown as the model "
            "saw it (resized and cropped).")
        self.explained.emit(payload)

    def _fill_choices(self, shown: ExplainedImage) -> None:
        order = sorted(range(len(shown.probabilities)), key=lambda c: -shown.probabilities[c])
        self.class_box.blockSignals(True)
        self.class_box.clear()
        for c in order:
            label = shown.classes[c] if c < len(shown.classes) else str(c)
            self.class_box.addItem(f"{label} ({shown.probabilities[c]:.1%})", c)
        self.class_box.setCurrentIndex(self.class_box.findData(shown.target))
        self.class_box.blockSignals(False)
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems(shown.layers)
        self.layer_box.setCurrentText(shown.layer)
        self.layer_box.blockSignals(False)

    def _paint(self) -> None:
        if self.shown is not None:
            self.picture.setPixmap(blend(self.shown.base, self.shown.heat,
                                         self.opacity.value() / 100))


class ExplainDialog(QDialog):
    """Grad-CAM of one classified file ("Classify image…" → Explain)."""

    def __init__(self, cache: ClassifierCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Grad-CAM")
        self.view = ExplainView(cache, self)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def explain(self, run: RunRecord, path: str) -> None:
        self.setWindowTitle(f"Grad-CAM — {Path(path).name}")
        self.view.explain(run, path)
        self.show()
        self.raise_()

    def done(self, result: int) -> None:
        self.view.shutdown()
        super().done(result)
