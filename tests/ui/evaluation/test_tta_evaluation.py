"""Re-evaluating the shown run with test-time augmentation from the Evaluate page."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.evaluation import EvaluationResult
from designer.evaluation.errors import EvaluationCancelled
from designer.project.run_evaluation import evaluate_again, load_run_data
from designer.ui.evaluation import EvaluationPage
from designer.ui.evaluation import tta_evaluation as module

TIMEOUT = 120_000


def test_evaluate_with_tta_shows_its_numbers_beside_the_plain_ones(
        qtbot: QtBot, page: EvaluationPage) -> None:
    run, plain = page.run, page.result
    assert run is not None and plain is not None
    assert not page.tta_evaluate.isEnabled(), "the TTA option is off"
    page.tta_check.setChecked(True)
    assert page.tta_evaluate.isEnabled()
    with qtbot.waitSignal(page.tta_result.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(page.tta_evaluate, Qt.MouseButton.LeftButton)
        assert page.tta_result.progress.isVisible() and page.tta_result.cancel_button.isVisible()
        assert not page.tta_evaluate.isEnabled(), "one at a time"
    expected = evaluate_again(load_run_data(run.run_dir), tta="flip")
    text = page.tta_result.text.text()
    assert f"With flip TTA: accuracy {expected.accuracy:.1%}</b> (plain {plain.accuracy:.1%}" in text
    assert f"loss {expected.loss:.3f} (plain {plain.loss:.3f})" in text
    assert not page.tta_result.progress.isVisible() and page.tta_evaluate.isEnabled()
    assert page.result is plain, "the run's own evaluation is not replaced"
    # another run and back: the numbers stay with their run
    other = next(r for r in page.workspace.runs if r.run_dir != run.run_dir)
    page.set_run(other)
    assert not page.tta_result.isVisible()
    page.set_run(run)
    assert "With flip TTA" in page.tta_result.text.text() and page.tta_result.isVisible()


def test_tta_evaluation_can_be_cancelled(qtbot: QtBot, page: EvaluationPage,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()

    def slow(_folder: object, _tta: object, progress: object, cancel: object) -> EvaluationResult:
        started.set()
        while not cancel():  # type: ignore[operator]
            threading.Event().wait(0.01)
        raise EvaluationCancelled("Evaluation cancelled after 0 of 8 images.")

    monkeypatch.setattr(module, "_evaluate", slow)
    page.tta_check.setChecked(True)
    page.tta_kind.setCurrentIndex(page.tta_kind.findData("crops"))
    with qtbot.waitSignal(page.tta_result.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(page.tta_evaluate, Qt.MouseButton.LeftButton)
        assert started.wait(10)
        qtbot.mouseClick(page.tta_result.cancel_button, Qt.MouseButton.LeftButton)
    assert page.tta_result.text.text() == "TTA evaluation cancelled."
    assert page.tta_evaluate.isEnabled()
