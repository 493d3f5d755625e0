"""The Evaluate page's test-time augmentation option applies to "Classify image…"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.evaluation import predict_each
from designer.ui.evaluation import EvaluationPage, actions
from designer.ui.evaluation import classify as classify_module
from designer.ui.evaluation.run_classifier import load_classifier

TIMEOUT = 60_000


def test_classify_with_tta_matches_predict(qtbot: QtBot, page: EvaluationPage,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run = page.run
    assert run is not None and run.evaluation is not None
    path = str(run.evaluation.result().predictions[0].path)
    assert not page.tta_kind.isEnabled()
    page.tta_check.setChecked(True)
    assert page.tta_kind.isEnabled() and page.classify_panel.tta == "flip"
    page.tta_kind.setCurrentIndex(page.tta_kind.findData("crops"))
    assert page.classify_panel.tta == "crops"
    monkeypatch.setattr(actions, "choose_image_files", lambda _parent: [path])
    asked: list[object] = []

    def spy(*args: object, **kwargs: object) -> object:
        asked.append(kwargs.get("tta"))
        return predict_each(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(classify_module, "predict_each", spy)
    with qtbot.waitSignal(page.classify_panel.classified, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.classify_button, Qt.MouseButton.LeftButton)
    shown = blocker.args[0][0].top
    model = load_classifier(run)
    k = len(shown)
    crops = predict_each(model.model, [path], model.transform, model.classes, k, tta="crops")[0].top
    assert [c for c, _ in shown] == [c for c, _ in crops]
    assert [p for _, p in shown] == pytest.approx([p for _, p in crops], abs=1e-5)
    assert asked == ["crops"], "the classification ran with the chosen augmentation"
    page.tta_check.setChecked(False)
    assert page.classify_panel.tta is None
