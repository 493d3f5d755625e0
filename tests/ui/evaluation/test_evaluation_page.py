"""Evaluation page: summary, confusion matrix, drill-down to a cell's images, run switching."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.project.runs import RunRecord
from designer.training.run_dir import EVALUATION, RunDir
from designer.ui.evaluation import EvaluationPage, actions
from designer.ui.evaluation.page import NO_EVALUATION, NO_RUNS
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace


def _matrix_shown(page: EvaluationPage) -> list[list[int]]:
    model = page.confusion.model
    return [[int(model.index(r, c).data()) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def _click_cell(qtbot: QtBot, page: EvaluationPage, true: int, predicted: int) -> None:
    rect = page.confusion.cell_rect(true, predicted)
    qtbot.mouseClick(page.confusion.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_defaults_to_the_latest_run_and_summarises_it(page: EvaluationPage,
                                                      runs: list[RunRecord]) -> None:
    latest = runs[-1]
    assert page.run is not None and page.run.run_dir == latest.run_dir
    result = latest.evaluation.result()
    text = page.summary.text()
    assert f"{result.accuracy:.1%}" in text
    assert f"{latest.evaluation.split} split" in text
    assert f"{len(result.predictions)} images" in text
    assert not page.note.isVisible()


def test_confusion_matrix_has_a_row_per_class_and_counts_the_evaluated_split(
        page: EvaluationPage, data: PreparedData) -> None:
    classes = data.classes
    model = page.confusion.model
    assert model.rowCount() == model.columnCount() == len(classes)
    rows = [model.headerData(i, Qt.Orientation.Vertical) for i in range(len(classes))]
    columns = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(classes))]
    assert rows == columns == classes
    split = data.evaluation_split
    assert sum(map(sum, _matrix_shown(page))) == len(data.datasets[split])


def test_clicking_a_cell_lists_exactly_its_samples_most_confident_first(
        qtbot: QtBot, page: EvaluationPage) -> None:
    result = page.result
    assert result is not None
    size = len(result.classes)
    for true in range(size):
        for predicted in range(size):
            _click_cell(qtbot, page, true, predicted)
            expected = result.cell(true, predicted)
            shown = page.gallery.predictions
            assert shown == expected
            assert page.gallery.model.rowCount() == len(expected)
            confidences = [p.confidence for p in shown]
            assert confidences == sorted(confidences, reverse=True)
            for row, prediction in enumerate(shown):
                text = page.gallery.model.index(row).data()
                assert f"true: {result.classes[prediction.true]}" in text
                assert f"pred: {result.classes[prediction.predicted]}" in text
            assert page.confusion.table.currentIndex().row() == true
            assert page.confusion.table.currentIndex().column() == predicted


def _first_nonempty_cell(page: EvaluationPage) -> tuple[int, int]:
    matrix = _matrix_shown(page)
    return next((t, p) for t, row in enumerate(matrix) for p, n in enumerate(row) if n)


def test_thumbnails_load_in_the_background(qtbot: QtBot, page: EvaluationPage) -> None:
    true, predicted = _first_nonempty_cell(page)
    _click_cell(qtbot, page, true, predicted)
    paths = [p.path for p in page.gallery.predictions]
    loader = page.gallery.loader
    qtbot.waitUntil(lambda: all(loader.image(p) is not None for p in paths), timeout=20_000)
    for path in paths:
        image = loader.image(path)
        assert image is not None and not image.isNull()
        assert max(image.width(), image.height()) <= loader.size


@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")  # offscreen has no stacking
def test_double_click_shows_the_image_large_with_its_prediction(
        qtbot: QtBot, page: EvaluationPage, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(actions, "open_image", lambda path: opened.append(path) or True)
    true, predicted = _first_nonempty_cell(page)
    _click_cell(qtbot, page, true, predicted)
    view = page.gallery.list
    centre = view.visualRect(page.gallery.model.index(0)).center()
    # a real double click starts with a press on the item (QTest's double click alone is not
    # recognised right after a click elsewhere)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    viewer = page.gallery.viewer
    assert viewer is not None and viewer.isVisible(), "the image opens inside the app"
    shown = page.gallery.predictions[0]
    classes = page.gallery.model.classes
    pixmap = viewer.image.pixmap()
    assert not pixmap.isNull() and max(pixmap.width(), pixmap.height()) >= 256
    assert f"true class <b>{classes[shown.true]}</b>" in viewer.verdict.text()
    assert f"predicted <b>{classes[shown.predicted]}</b> ({shown.confidence:.1%})" in \
        viewer.verdict.text()
    assert ("✓ correct" if shown.correct else "✗ wrong") in viewer.verdict.text()
    qtbot.mouseClick(viewer.open_button, Qt.MouseButton.LeftButton)
    assert opened == [shown.path], "and still opens in the system's viewer on request"
    monkeypatch.setattr(actions, "open_image", lambda _path: False)  # no viewer installed
    qtbot.mouseClick(viewer.open_button, Qt.MouseButton.LeftButton)
    assert viewer.open_button.text() == "No image viewer found"
    assert not viewer.open_button.isEnabled()
    viewer.close()


def test_per_class_table_matches_and_sorts_numerically(qtbot: QtBot, page: EvaluationPage) -> None:
    result = page.result
    assert result is not None
    table = page.class_table
    assert table.column_values(0) == [m.name for m in result.per_class]
    assert [int(v) for v in table.column_values(4)] == [m.support for m in result.per_class]
    header = table.horizontalHeader()
    f1_header = QPoint(header.sectionViewportPosition(3) + header.sectionSize(3) // 2,
                       header.height() // 2)
    expected = sorted(round(m.f1, 3) for m in result.per_class)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=f1_header)
    first = [float(v) for v in table.column_values(3)]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=f1_header)
    second = [float(v) for v in table.column_values(3)]
    assert {tuple(first), tuple(second)} == {tuple(expected), tuple(reversed(expected))}


def test_follows_the_run_chosen_elsewhere(page: EvaluationPage, workspace: Workspace,
                                          runs: list[RunRecord]) -> None:
    first = runs[0]
    workspace.select_run(first)
    assert page.run is not None and page.run.run_dir == first.run_dir
    assert page.result is not None
    assert page.result.confusion == first.evaluation.result().confusion


def test_a_run_without_evaluation_says_so(page: EvaluationPage, workspace: Workspace,
                                          runs: list[RunRecord], tmp_path: Path) -> None:
    copy = tmp_path / "stopped-run"
    shutil.copytree(runs[0].run_dir, copy)
    (copy / EVALUATION).unlink()
    run = RunRecord.load(copy)
    workspace.add_run(run)  # the newest run: the page follows it
    assert page.run is not None and page.run.run_dir == copy
    assert page.note.isVisible() and page.note.text() == NO_EVALUATION
    assert page.confusion.model.rowCount() == 0
    assert page.gallery.predictions == []
    assert page.classify_button.isEnabled()  # its weights can still classify


def test_no_runs_yet(qtbot: QtBot, tmp_path: Path) -> None:
    session = DesignSession()
    page = EvaluationPage(Workspace(session, project_dir=tmp_path))
    qtbot.addWidget(page)
    page.show()
    assert page.note.text() == NO_RUNS
    assert not page.classify_button.isEnabled()
    page.shutdown()
    session.shutdown()


def test_a_new_run_does_not_pull_away_from_an_older_run_the_user_chose(
        page: EvaluationPage, workspace: Workspace, runs: list[RunRecord], tmp_path: Path) -> None:
    workspace.select_run(runs[0])
    copy = tmp_path / "newer-run"
    shutil.copytree(runs[1].run_dir, copy)
    workspace.add_run(RunRecord.load(copy))
    assert page.run is not None and page.run.run_dir == runs[0].run_dir
    assert page.run_picker.count() == len(runs) + 1


def test_the_run_chooser_shows_accuracy_what_differs_and_the_note(
        page: EvaluationPage, workspace: Workspace, runs: list[RunRecord], tmp_path: Path) -> None:
    for i, run in enumerate(runs):
        text = page.run_picker.itemText(i)
        assert text.startswith(f"{run.name} — {100 * run.evaluation.accuracy:.1f} % — "
                               f"lr {run.options.lr:g}")
    copy = tmp_path / "noted-run"
    shutil.copytree(runs[1].run_dir, copy)
    RunDir(copy, create=False).write_label("with a note", "tried the other crop")
    workspace.add_run(RunRecord.load(copy))
    index = page.run_picker.findText("with a note", Qt.MatchFlag.MatchStartsWith)
    assert index == len(runs)
    assert "tried the other crop" in page.run_picker.itemData(index, Qt.ItemDataRole.ToolTipRole)


def test_summary_names_images_left_out_of_the_evaluation() -> None:
    from designer.evaluation import ClassMetrics, EvaluationResult, SkippedSample
    from designer.ui.evaluation.page import summary_text

    result = EvaluationResult(
        classes=["a", "b"], accuracy=1.0, loss=0.1, top_k_accuracy={1: 1.0},
        per_class=[ClassMetrics("a", 1, 1, 1, 1), ClassMetrics("b", 1, 1, 1, 1)],
        confusion=[[1, 0], [0, 1]],
        skipped=[SkippedSample(4, "/photos/b/cut.jpg", "truncated or incomplete image file")])
    text = summary_text(result, "test")
    assert "test split, 2 images" in text
    assert "1 unreadable and left out (cut.jpg)" in text
