"""The Evaluate page's top losses, reliability diagram, temperature scaling and thresholds."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.evaluation.calibration import reliability
from designer.evaluation.thresholds import at_threshold
from designer.project.calibrate import clear_calibration
from designer.ui.evaluation import EvaluationPage

TIMEOUT = 120_000


def test_top_losses_list_every_mistake_most_confident_first(page: EvaluationPage) -> None:
    result = page.result
    assert result is not None
    shown = page.top_losses.predictions
    assert shown == result.misclassified()
    assert all(not p.correct for p in shown)
    assert [p.confidence for p in shown] == sorted((p.confidence for p in shown), reverse=True)
    assert page.top_losses.run is page.run, "its images open with Grad-CAM too"


def test_threshold_slider_shows_precision_and_recall(page: EvaluationPage) -> None:
    result = page.result
    assert result is not None
    panel = page.confidence
    panel.class_box.setCurrentIndex(1)
    for value in (0, 60, 100):
        panel.threshold.setValue(value)
        point = at_threshold(result.predictions, 1, value / 100)
        text = panel.threshold_text.text()
        assert f"precision <b>{point.precision:.1%}</b>, recall <b>{point.recall:.1%}</b>" in text
        assert f"{point.kept} of {point.predicted} predictions" in text
    plain = at_threshold(result.predictions, 1, 0.0)
    assert plain.precision == pytest.approx(result.per_class[1].precision)
    assert plain.recall == pytest.approx(result.per_class[1].recall)


def test_fit_temperature_saves_it_with_the_run(qtbot: QtBot, page: EvaluationPage) -> None:
    run = page.run
    assert run is not None and run.calibration is None
    result = page.result
    assert result is not None
    ece = reliability([p.confidence for p in result.predictions],
                      [p.correct for p in result.predictions]).ece
    assert f"Expected calibration error <b>{ece:.3f}</b>" in page.confidence.calibration_text.text()
    try:
        with qtbot.waitSignal(page.workspace.runs_changed, timeout=TIMEOUT):
            qtbot.mouseClick(page.confidence.fit_button, Qt.MouseButton.LeftButton)
        calibrated = page.run
        assert calibrated is not None and calibrated.calibration is not None
        t = calibrated.calibration.temperature
        assert f"Temperature {t:.2f}" in page.confidence.calibration_text.text()
        # the page now shows the calibrated confidences, and says so
        shown = page.result
        assert shown is not None and shown is not result
        assert f"confidences calibrated (temperature {t:.2f})" in page.summary.text()
        assert not page.note.isVisible()
        assert [p.predicted for p in shown.predictions] == [p.predicted for p in result.predictions]
        assert [p.confidence for p in shown.predictions] != pytest.approx(
            [p.confidence for p in result.predictions], abs=1e-3)
        assert page.top_losses.predictions == shown.misclassified()
        page.confidence.class_box.setCurrentIndex(0)
        page.confidence.threshold.setValue(50)
        point = at_threshold(shown.predictions, 0, 0.5)
        assert f"{point.kept} of {point.predicted} predictions" in page.confidence.threshold_text.text()
        assert len(page.confidence.diagram.after) == len(page.confidence.diagram.before) > 0
        qtbot.waitUntil(page.confidence.clear_button.isEnabled, timeout=TIMEOUT)
        with qtbot.waitSignal(page.workspace.runs_changed, timeout=TIMEOUT):
            qtbot.mouseClick(page.confidence.clear_button, Qt.MouseButton.LeftButton)
        assert page.run is not None and page.run.calibration is None
        assert "calibrated" not in page.summary.text()
        back = page.result
        assert back is not None and [p.confidence for p in back.predictions] == pytest.approx(
            [p.confidence for p in result.predictions], abs=1e-4)
    finally:  # the runs are shared by the other tests of the session
        clear_calibration(run.run_dir)
