"""Classify image files with a run's model: from the file dialog and by dropping them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from designer.data import build_transforms
from designer.evaluation import predict
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.ui.evaluation import EvaluationPage, actions
from designer.ui.evaluation.topk_bars import TopKBars

TIMEOUT = 60_000


def _sample_paths(run: RunRecord, count: int) -> list[str]:
    """Images of different classes from the run's evaluated split."""
    by_class: dict[int, str] = {}
    assert run.evaluation is not None
    for p in run.evaluation.result().predictions:
        by_class.setdefault(p.true, str(p.path))
    return list(by_class.values())[:count]


def _expected(run: RunRecord, paths: list[str], k: int) -> list[list[tuple[str, float]]]:
    design = run_design(run.run_dir)
    transform = build_transforms(design.info.preprocessing, None, train=False,
                                 image_size=run.image_size)
    return predict(design.build(), paths, transform, list(design.info.class_names), k)


def test_classify_image_shows_top_k_bars_matching_predict(
        qtbot: QtBot, page: EvaluationPage, monkeypatch: pytest.MonkeyPatch) -> None:
    run = page.run
    assert run is not None
    paths = _sample_paths(run, 3)
    monkeypatch.setattr(actions, "choose_image_files", lambda _parent: list(paths))
    with qtbot.waitSignal(page.classify_panel.classified, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.classify_button, Qt.MouseButton.LeftButton)
    results = blocker.args[0]
    classes = list(run.evaluation.classes)
    k = min(5, len(classes))
    expected = _expected(run, paths, k)
    assert [r.path for r in results] == paths
    for result, reference in zip(results, expected, strict=True):
        labels = [label for label, _ in result.top]
        probabilities = [p for _, p in result.top]
        assert len(result.top) == k and set(labels) <= set(classes)
        assert sum(probabilities) <= 1.0 + 1e-5
        assert probabilities == sorted(probabilities, reverse=True)
        assert labels[0] == reference[0][0]
        assert math.isclose(probabilities[0], reference[0][1], rel_tol=1e-4)
        assert not result.thumbnail.isNull()
    assert page.tabs.currentWidget() is page.classify_panel
    bars = page.classify_panel.findChildren(TopKBars)
    assert sorted(b.pairs[0][0] for b in bars) == sorted(r.top[0][0] for r in results)


def test_dropping_images_classifies_them(qtbot: QtBot, page: EvaluationPage) -> None:
    run = page.run
    assert run is not None
    paths = _sample_paths(run, 2)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths] + [QUrl("https://example.com/x.png")])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(page.classify_panel.classified, timeout=TIMEOUT) as blocker:
        page.dropEvent(event)
    assert [r.path for r in blocker.args[0]] == paths


def test_a_cancelled_file_dialog_classifies_nothing(qtbot: QtBot, page: EvaluationPage,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "choose_image_files", lambda _parent: [])
    qtbot.mouseClick(page.classify_button, Qt.MouseButton.LeftButton)
    assert not page.classify_panel.runner.running
    assert page.classify_panel.results == []


def test_an_unreadable_image_gives_a_message(qtbot: QtBot, page: EvaluationPage,
                                             tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    good = tmp_path / "fine.png"
    Image.new("RGB", (40, 40), (200, 30, 30)).save(good)
    with qtbot.waitSignal(page.classify_panel.message, timeout=TIMEOUT) as blocker:
        page.classify_files([str(bad), str(good)])
    assert blocker.args[0] == "Could not classify broken.png: not an image (text file)"
    results = page.classify_panel.results
    assert [(Path(r.path).name, r.error is None) for r in results] == [
        ("broken.png", False), ("fine.png", True)]  # the good file is still classified
    assert len(results[1].top) > 0
