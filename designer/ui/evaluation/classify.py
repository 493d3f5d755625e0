"""Classify new images with a run's model: top-k labels as bars beside each thumbnail.

The model is rebuilt from the run folder (design + best weights) on a worker thread the first
time and reused after that; images use the same evaluation preprocessing as the run's
validation, so the answer matches `netdesigner predict` and the evaluation page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer.evaluation import predict_each
from designer.evaluation.tta import Tta
from designer.project.runs import RunRecord
from designer.ui.evaluation.explain import ExplainDialog
from designer.ui.evaluation.run_classifier import Classifier, ClassifierCache
from designer.ui.evaluation.thumbnails import load_thumbnail
from designer.ui.evaluation.topk_bars import TopKBars
from designer.workers.task import TaskRunner

THUMB = 96
MAX_ROWS = 60
TOP_K = 5


@dataclass
class ClassifiedImage:
    """One classified file: its top-k (label, probability) pairs and a thumbnail."""

    path: str
    top: list[tuple[str, float]]
    thumbnail: QImage
    error: str | None = None  # why the file could not be classified (then ``top`` is empty)


ClassifyTask = Callable[[Callable[[float, str], None], Callable[[], bool]],
                        tuple[Classifier, list[ClassifiedImage]]]


def classify_task(run: RunRecord, paths: list[str], cache: ClassifierCache,
                  k: int = TOP_K, tta: Tta | None = None) -> ClassifyTask:
    """A TaskRunner function: (re)use the model, predict, decode thumbnails."""
    def run_it(progress: Callable[[float, str], None],
               cancelled: Callable[[], bool]) -> tuple[Classifier, list[ClassifiedImage]]:
        progress(0.0, "Loading the run's model…")
        with cache.use(run) as model:
            progress(0.3, f"Classifying {len(paths)} image(s)…")
            results = predict_each(model.model, paths, model.transform, model.classes, k,
                                   temperature=model.temperature, tta=tta)
        images = [ClassifiedImage(r.source, r.top, load_thumbnail(r.source, THUMB), r.error)
                  for r in results if not cancelled()]
        return model, images

    return run_it


class _ResultRow(QFrame):
    def __init__(self, result: ClassifiedImage, explain: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        picture = QLabel()
        picture.setFixedSize(THUMB, THUMB)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if not result.thumbnail.isNull():
            picture.setPixmap(QPixmap.fromImage(result.thumbnail))
        answer = result.top[0][0] if result.top else "cannot be read"
        name = QLabel(f"<b>{Path(result.path).name}</b> → {answer}")
        name.setToolTip(result.path)
        text = QVBoxLayout()
        text.addWidget(name)
        if result.error is not None:
            problem = QLabel(result.error)
            problem.setWordWrap(True)
            text.addWidget(problem)
        else:
            text.addWidget(TopKBars(result.top))
            if explain is not None:
                self.explain_button = QPushButton("Where does it look?")
                self.explain_button.setToolTip("Grad-CAM: the parts of the image that made the "
                                               "model say its answer (or another class)")
                self.explain_button.clicked.connect(lambda: explain(result.path))
                button_row = QHBoxLayout()
                button_row.addWidget(self.explain_button)
                button_row.addStretch(1)
                text.addLayout(button_row)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(picture)
        layout.addLayout(text, 1)


class ClassifyPanel(QWidget):
    """Results of "Classify image…", newest first; one classification at a time, others queue."""

    classified = Signal(list)  # list[ClassifiedImage]
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None, cache: ClassifierCache | None = None) -> None:
        super().__init__(parent)
        self._run: RunRecord | None = None
        self.cache = cache or ClassifierCache()
        #: test-time augmentation for the next classifications (None: off)
        self.tta: Tta | None = None
        self.explainer: ExplainDialog | None = None  # made on first use
        self._pending: list[str] = []
        self.results: list[ClassifiedImage] = []
        self.status = QLabel("Classify image files with this run's model: use “Classify image…” "
                             "or drop images onto this page.")
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(lambda _f, text: self.status.setText(text))
        self.runner.succeeded.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._start_pending)
        self.status.setWordWrap(True)
        self._rows = QVBoxLayout()
        self._rows.addStretch(1)
        holder = QWidget()
        holder.setLayout(self._rows)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)

    def set_run(self, run: RunRecord | None) -> None:
        """Classify with this run from now on."""
        self._run = run

    def classify(self, paths: Sequence[str]) -> None:
        """Classify these files (queued behind a classification in progress)."""
        if self._run is None:
            self._report("Choose a run first: there is no trained model to classify with.")
            return
        self._pending += [str(p) for p in paths]
        if not self.runner.running:
            self._start_pending()

    def explain(self, path: str) -> None:
        """Open Grad-CAM of a classified file (computed in the background)."""
        if self._run is None:
            return
        if self.explainer is None:
            self.explainer = ExplainDialog(self.cache, self.window())
        self.explainer.explain(self._run, path)

    def shutdown(self) -> None:
        self._pending = []
        self.runner.shutdown()
        if self.explainer is not None:
            self.explainer.view.shutdown()

    def _start_pending(self) -> None:
        if not self._pending or self._run is None or self.runner.running:
            return
        paths, self._pending = self._pending, []
        self.runner.start(classify_task(self._run, paths, self.cache, tta=self.tta))

    def _on_done(self, payload: object) -> None:
        assert isinstance(payload, tuple)
        classifier, results = payload
        for result in reversed(results):  # the batch keeps its order, above older results
            self._rows.insertWidget(0, _ResultRow(result, self.explain))
        while self._rows.count() > MAX_ROWS + 1:  # + the stretch at the end
            item = self._rows.takeAt(self._rows.count() - 2)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.results = (list(results) + self.results)[:MAX_ROWS]
        name = self._run.name if self._run is not None else classifier.run_dir.name
        failed = [r for r in results if r.error is not None]
        self.status.setText(f"Classified {len(results) - len(failed)} image(s) with the model of "
                            f"run {name}.")
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more, see their rows)" if len(failed) > 1 else ""
            self._report(f"Could not classify {Path(first.path).name}: {first.error}{more}")
        self.classified.emit(results)

    def _on_failed(self, text: str, _trace: str) -> None:
        self._report(f"Could not classify: {text}")

    def _report(self, text: str) -> None:
        self.status.setText(text)
        self.message.emit(text)
