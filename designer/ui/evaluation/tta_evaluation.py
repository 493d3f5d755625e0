"""Evaluate the shown run again with test-time augmentation, in the background, and show the
numbers beside the plain ones (designer.project.run_evaluation does the work; nothing is
saved: the plain evaluation stays the run's record)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from designer.evaluation import EvaluationResult
from designer.evaluation.tta import Tta, check_tta
from designer.project.run_evaluation import evaluate_again, load_run_data
from designer.project.runs import RunRecord
from designer.workers.task import TaskRunner

_Key = tuple[Path, str, float]


def comparison_text(kind: str, tta: EvaluationResult, plain: EvaluationResult) -> str:
    """'With flip TTA: accuracy 93.1 % (plain 91.9 %, +1.2 points) · loss … · macro F1 …'."""
    points = 100 * (tta.accuracy - plain.accuracy)
    return (f"<b>With {html.escape(kind)} TTA: accuracy {tta.accuracy:.1%}</b> (plain "
            f"{plain.accuracy:.1%}, {points:+.1f} points)  ·  loss {tta.loss:.3f} (plain "
            f"{plain.loss:.3f})  ·  macro F1 {tta.macro_f1:.2f} (plain {plain.macro_f1:.2f})")


class TtaEvaluation(QWidget):
    """A progress row while it runs, then the TTA numbers; hidden until used."""

    #: a TTA evaluation finished (payload: EvaluationResult)
    evaluated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self.plain: EvaluationResult | None = None
        self.results: dict[_Key, EvaluationResult] = {}
        self._asked: _Key | None = None
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.text, 1)
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_done)
        self.runner.failed.connect(lambda message, _t: self._show(
            f"TTA evaluation failed: {html.escape(message)}"))
        self.runner.cancelled.connect(lambda: self._show("TTA evaluation cancelled."))
        self.runner.finished.connect(lambda: self._busy(False))
        self.cancel_button.clicked.connect(self.runner.cancel)
        self._busy(False)
        self.hide()

    @property
    def running(self) -> bool:
        return self.runner.running

    def set_run(self, run: RunRecord | None, plain: EvaluationResult | None) -> None:
        """The run shown (a result computed for it earlier this session is shown again)."""
        self.run, self.plain = run, plain
        if self.runner.running:
            return
        done = [(key, r) for key, r in self.results.items()
                if run is not None and key[0] == run.run_dir and key[2] == run.temperature]
        if done and plain is not None:
            (_folder, kind, _t), result = done[-1]
            self._show(comparison_text(kind, result, plain))
        else:
            self.hide()

    def start(self, kind: str) -> None:
        """Evaluate the run's evaluation split with ``kind`` ("flip" or "crops") TTA."""
        run, tta = self.run, check_tta(kind)
        if run is None or tta is None or self.runner.running:
            return
        self._asked = (run.run_dir, tta, run.temperature)
        folder = run.run_dir

        def work(progress: Callable[[float, str], None], cancel: Callable[[], bool]
                 ) -> EvaluationResult:
            return _evaluate(folder, tta, progress, cancel)

        self.text.setText(f"Evaluating with {tta} TTA…")
        self._busy(True)
        self.show()
        self.runner.start(work)

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(100 * fraction))
        self.text.setText(html.escape(message))

    def _on_done(self, result: object) -> None:
        assert isinstance(result, EvaluationResult) and self._asked is not None
        self.results[self._asked] = result
        run = self.run
        if run is not None and self.plain is not None and run.run_dir == self._asked[0]:
            self._show(comparison_text(self._asked[1], result, self.plain))
        self.evaluated.emit(result)

    def _show(self, text: str) -> None:
        self.text.setText(text)
        self.show()

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)


def _evaluate(folder: Path, tta: Tta, progress: Callable[[float, str], None],
              cancel: Callable[[], bool]) -> EvaluationResult:
    progress(0.0, "Loading the run's model and images…")
    return evaluate_again(load_run_data(folder), tta=tta, cancel=cancel,
                          progress=lambda f, m: progress(f, f"{m} with {tta} TTA"))
