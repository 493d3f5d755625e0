"""The Evaluate page: how good is a run, where does it go wrong, and what does it say on new images.

Reads everything from the run's evaluation.json (written by the training workflow, rewritten
with calibrated confidences when the run is calibrated), so a run evaluated yesterday opens
instantly. "Classify image…" and "Evaluate with TTA" run the model, on worker threads.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.evaluation import EvaluationResult
from designer.project.runs import RunRecord
from designer.ui.evaluation import actions
from designer.ui.evaluation.class_table import ClassMetricsTable
from designer.ui.evaluation.classify import ClassifyPanel
from designer.ui.evaluation.confidence import ConfidencePanel
from designer.ui.evaluation.confusion import ConfusionMatrixView
from designer.ui.evaluation.gallery import CellGallery
from designer.ui.evaluation.run_classifier import ClassifierCache
from designer.ui.evaluation.run_picker import RunPicker
from designer.ui.evaluation.tta_evaluation import TtaEvaluation
from designer.ui.workspace import Workspace

NO_EVALUATION = ("This run has no evaluation: it stopped before training finished, or there were "
                 "no validation or test images to evaluate on. Train again with a validation or "
                 "test share above 0 to see the confusion matrix. You can still classify images.")
NO_RUNS = "No runs yet: train the design on the Train page, then its results appear here."


def confidence_label(run: RunRecord) -> tuple[str, str]:
    """(what the summary says about the confidences shown, a warning when they are not the ones
    the run gives now): evaluation.json records the temperature it was computed with."""
    evaluation = run.evaluation
    shown = evaluation.temperature if evaluation is not None else 1.0
    if abs(shown - run.temperature) > 1e-9:
        now = (f"its temperature {run.temperature:.2f}" if run.calibration is not None
               else "no temperature")
        was = f"temperature {shown:.2f}" if shown != 1.0 else "the model's own confidences"
        return "", (f"The confidences shown were computed with {was}, but the run now has {now}: "
                    "fit or remove the temperature again on the Confidence tab to update them.")
    if shown != 1.0:
        return f"confidences calibrated (temperature {shown:.2f})", ""
    return "", ""


def summary_text(result: EvaluationResult, split: str, note: str = "") -> str:
    """'Accuracy 92.5 %  ·  top-3 100 %  ·  loss 0.231  ·  macro F1 0.91  ·  test split, 40 images'."""
    parts = [f"<b>Accuracy {result.accuracy:.1%}</b>"]
    parts += [f"top-{k} {v:.1%}" for k, v in sorted(result.top_k_accuracy.items()) if k > 1]
    parts += [f"loss {result.loss:.3f}", f"macro F1 {result.macro_f1:.2f}"]
    images = sum(sum(row) for row in result.confusion)
    parts.append(f"{split or 'evaluation'} split, {images} images")
    if result.skipped:
        names = ", ".join(Path(s.path).name if s.path else f"#{s.index}" for s in result.skipped[:3])
        more = ", …" if len(result.skipped) > 3 else ""
        parts.append(f"{len(result.skipped)} unreadable and left out ({names}{more})")
    if note:
        parts.append(note)
    return "  ·  ".join(parts)


class EvaluationPage(QWidget):
    """Run picker, summary, confusion matrix with drill-down, per-class table, classify."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.result: EvaluationResult | None = None
        self.run_picker = RunPicker()
        self.classify_button = QPushButton("Classify image…")
        self.classify_button.setToolTip("Run this run's model on image files (you can also drop "
                                        "images onto this page).")
        self.tta_check = QCheckBox("Test-time augmentation:")
        self.tta_check.setToolTip("Classify each image several times (mirrored, or cropped at the "
                                  "corners and centre) and average the answers: often a little "
                                  "more accurate, several times slower")
        self.tta_kind = QComboBox()
        self.tta_kind.addItem("flip", "flip")
        self.tta_kind.addItem("crops", "crops")
        self.tta_kind.setEnabled(False)
        self.tta_evaluate = QPushButton("Evaluate with TTA")
        self.tta_evaluate.setToolTip("Evaluate this run's test images again with the chosen "
                                     "augmentation, in the background; the numbers appear "
                                     "beside the plain ones")
        self.tta_evaluate.setEnabled(False)
        self.tta_result = TtaEvaluation()
        self.export_button = QPushButton("Export")
        self.export_button.setToolTip("Save this run's model as files for deployment, or as a "
                                      "PyTorch training script")
        export_menu = QMenu(self.export_button)
        export_menu.addAction("Export model…", lambda: self.open_export(script=False))
        export_menu.addAction("Generate PyTorch script…", lambda: self.open_export(script=True))
        self.export_button.setMenu(export_menu)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background: #fff4d6; border: 1px solid #e8c060; padding: 6px;")
        self.confusion = ConfusionMatrixView()
        self.class_table = ClassMetricsTable()
        self.models = ClassifierCache()  # the shown run's model, for classify and Grad-CAM
        self.gallery = CellGallery(cache=self.models)
        self.classify_panel = ClassifyPanel(cache=self.models)
        self.top_losses = CellGallery(cache=self.models)
        self.confidence = ConfidencePanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.gallery, "Images of the cell")
        self.tabs.addTab(self.top_losses, "Top losses")
        self.tabs.addTab(self.confidence, "Confidence")
        self.tabs.addTab(self.classify_panel, "Classified images")
        self._build_layout()
        self.setAcceptDrops(True)
        self.run_picker.run_changed.connect(self._show_run)
        self.confusion.cell_clicked.connect(self.show_cell)
        self.classify_button.clicked.connect(self._choose_and_classify)
        self.confidence.calibration_changed.connect(workspace.update_run)
        self.tta_check.toggled.connect(lambda _on: self._set_tta())
        self.tta_kind.currentIndexChanged.connect(lambda _i: self._set_tta())
        self.tta_evaluate.clicked.connect(lambda: self.tta_result.start(self.tta_kind.currentData()))
        self.tta_result.runner.started.connect(self._set_tta)
        self.tta_result.runner.finished.connect(self._set_tta)
        self.classify_panel.message.connect(lambda _t: self.tabs.setCurrentWidget(self.classify_panel))
        workspace.runs_changed.connect(self._on_runs_changed)
        workspace.run_selected.connect(self.set_run)
        self.run_picker.set_runs(workspace.runs)
        self._show_run(self.run_picker.current)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Run:"))
        top.addWidget(self.run_picker, 1)
        top.addWidget(self.classify_button)
        top.addWidget(self.tta_check)
        top.addWidget(self.tta_kind)
        top.addWidget(self.tta_evaluate)
        top.addWidget(self.export_button)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.confusion)
        left.addWidget(self.class_table)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        left.setSizes([430, 180])  # 20 classes still fit the matrix at 700 px
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(self.tabs)
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 1)
        main.setSizes([520, 520])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.tta_result)
        layout.addWidget(self.note)
        layout.addWidget(main, 1)
        self._main = main

    # ----- public ----------------------------------------------------------------------------
    @property
    def run(self) -> RunRecord | None:
        """The run shown."""
        return self.run_picker.current

    def set_run(self, run: object) -> None:
        """Show `run` (a RunRecord), e.g. from the compare page's "Show in evaluation"."""
        if isinstance(run, RunRecord):
            self.run_picker.select(run)

    def show_cell(self, true: int, predicted: int) -> None:
        """List the images of one confusion-matrix cell, most confident first."""
        result = self.result
        if result is None:
            return
        samples = result.cell(true, predicted)
        names = result.classes
        kind = "correct" if true == predicted else "mistaken"
        title = (f"<b>True {names[true]}, predicted {names[predicted]}</b>: {len(samples)} {kind} "
                 "image(s), most confident first. Double-click one to open it.")
        if samples and not samples[0].path:
            title += " (these samples have no files to show)"
        self.confusion.select_cell(true, predicted)
        self.gallery.show_predictions(title, samples, names)
        self.tabs.setCurrentWidget(self.gallery)

    def classify_files(self, paths: list[str]) -> None:
        """Classify image files with the shown run's model (results in the second tab)."""
        if paths:
            self.tabs.setCurrentWidget(self.classify_panel)
            self.classify_panel.classify(paths)

    def open_export(self, script: bool = False) -> None:
        """The Export dialog for the run shown (or the current design when there is none)."""
        from designer.ui.export import ExportDialog

        ExportDialog(self.workspace, self.run, script=script, parent=self).exec()

    def shutdown(self) -> None:
        """Join the page's worker threads (window close, tests)."""
        self.gallery.shutdown()
        self.top_losses.shutdown()
        self.confidence.shutdown()
        self.classify_panel.shutdown()
        self.tta_result.shutdown()

    # ----- events ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if actions.image_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = actions.image_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.classify_files(paths)

    # ----- internals -------------------------------------------------------------------------
    def _set_tta(self) -> None:
        on = self.tta_check.isChecked()
        self.tta_kind.setEnabled(on)
        self.tta_evaluate.setEnabled(on and self.result is not None and not self.tta_result.running)
        self.classify_panel.tta = self.tta_kind.currentData() if on else None

    def _choose_and_classify(self) -> None:
        self.classify_files(actions.choose_image_files(self))

    def _on_runs_changed(self) -> None:
        self.run_picker.set_runs(self.workspace.runs)
        if self.run_picker.current is None:
            self._show_run(None)

    def _show_run(self, run: object) -> None:
        record = run if isinstance(run, RunRecord) else None
        self.classify_panel.set_run(record)
        self.gallery.run = self.top_losses.run = record
        self.classify_button.setEnabled(record is not None)
        self.result = None
        self.tta_result.set_run(None, None)
        self._set_tta()
        try:
            if record is not None and record.evaluation is not None:
                self.result = record.evaluation.result()
        except (KeyError, TypeError, ValueError) as error:
            self._show_note(f"The evaluation of this run cannot be read ({error}). Evaluate it "
                            "again with `netdesigner evaluate`.")
            return
        if self.result is None or record is None:
            self._show_note(NO_RUNS if record is None else NO_EVALUATION)
            return
        label, warning = confidence_label(record)
        self.note.setText(warning)
        self.note.setVisible(bool(warning))
        split = record.evaluation.split if record.evaluation is not None else ""
        self.summary.setText(summary_text(self.result, split, label))
        self.tta_result.set_run(record, self.result)
        self._set_tta()
        self.summary.show()
        self.confusion.set_matrix(self.result.classes, self.result.confusion)
        self.class_table.set_metrics(self.result.per_class)
        self.confidence.set_run(record, self.result, split)
        self._show_top_losses()
        self._show_worst_cell()

    def _show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()
        self.summary.hide()
        self.confusion.set_matrix([], [])
        self.class_table.set_metrics([])
        self.gallery.clear("No evaluation to show.")
        self.top_losses.clear("No evaluation to show.")
        self.confidence.set_run(self.run, None, "")

    def _show_top_losses(self) -> None:
        """Every mistake, the most confidently wrong first (where to look for wrong labels)."""
        assert self.result is not None
        wrong = self.result.misclassified()
        title = (f"<b>{len(wrong)} mistake(s), most confidently wrong first</b>: a wrong answer "
                 "given with high confidence is often a wrong label or a confusing image. "
                 "Double-click one to see where the model looked." if wrong
                 else "No mistakes on this split.")
        self.top_losses.show_predictions(title, wrong, self.result.classes)

    def _show_worst_cell(self) -> None:
        """Open on the biggest confusion (or the first class when there is none)."""
        assert self.result is not None
        matrix = self.result.confusion
        cells = [(matrix[t][p], t, p) for t in range(len(matrix)) for p in range(len(matrix))
                 if t != p and matrix[t][p]]
        if cells:
            _count, true, predicted = max(cells, key=lambda c: (c[0], -c[1], -c[2]))
            self.show_cell(true, predicted)
        elif matrix:
            self.show_cell(0, 0)
