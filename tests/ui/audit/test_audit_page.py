"""The Audit page: suspects listed, map drawn, relabel / exclude / undo as dataset versions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from designer.audit import AuditFeatures, audit_features
from designer.audit.embedding import embed_2d
from designer.data import generated_dataset, scan, split_scan
from designer.project.data_config import DataConfig
from designer.project.dataset_versions import DatasetVersions
from designer.ui.audit import AuditPage
from designer.ui.audit.embedding_map import inside_lasso
from designer.ui.audit.page import AuditResult
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace


@pytest.fixture
def page(qtbot: QtBot, tmp_path: Path) -> Iterator[AuditPage]:
    folder = generated_dataset(tmp_path / "data", classes=3, per_class=10, size=32)
    session = DesignSession()
    space = Workspace(session, project_dir=tmp_path / "project")
    space.set_data_config(DataConfig(source=str(folder)))
    widget = AuditPage(space, umap=False)
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    widget.show()
    manifest = split_scan(scan(folder))
    # features that separate the classes, with one image given the wrong class's features
    rng = np.random.default_rng(0)
    labels = np.array([e.label for e in manifest.entries])
    centres = rng.normal(size=(3, 64)) * 1.5
    matrix = centres[labels] + rng.normal(size=(len(labels), 64))
    matrix[0] = centres[(labels[0] + 1) % 3] + rng.normal(size=64)
    features = AuditFeatures(manifest, matrix.astype(np.float32), "test features")
    coords, method = embed_2d(features.matrix, method="pca")
    widget._on_audited(AuditResult(features, audit_features(features, check_pixels=False),
                                   coords, method))
    yield widget
    widget.shutdown()
    session.shutdown()


def test_suspects_listed_and_relabel_then_undo(page: AuditPage, qtbot: QtBot) -> None:
    first = page.result.features.paths[0]
    assert page.table.rowCount() >= 1
    assert page.table.item(0, 7).text() == first, "the planted mistake is the top suspect"
    assert len(page.map.scatter.data) == len(page.result.features.paths)
    page.table.selectRow(0)
    assert page.selected_paths() == [first] and page.gallery.count() == 1
    page.target.setCurrentText(page.table.item(0, 4).text())
    qtbot.mouseClick(page.relabel, Qt.MouseButton.LeftButton)
    config = page.workspace.data_config
    assert config.dataset_version == 1
    assert config.edits.relabelled == {first: page.table.item(0, 4).text()}
    assert page.table.item(0, 5).text().startswith("→")
    assert DatasetVersions(page.workspace.project_dir).numbers() == [1]
    qtbot.mouseClick(page.exclude, Qt.MouseButton.LeftButton)
    assert page.workspace.data_config.dataset_version == 2
    assert "v2" in page.version.text() and "1 excluded" in page.version.text()
    qtbot.mouseClick(page.undo, Qt.MouseButton.LeftButton)
    assert page.workspace.data_config == config
    qtbot.mouseClick(page.undo, Qt.MouseButton.LeftButton)
    assert page.workspace.data_config.dataset_version is None
    assert not page.workspace.data_config.edits
    assert not page.undo.isEnabled()


def test_colourings_all_draw(page: AuditPage) -> None:
    for index in range(page.colour.count()):
        page.colour.setCurrentIndex(index)
        assert len(page.map._brushes) == len(page.result.features.paths)


def _drag(page: AuditPage, polygon: list[tuple[float, float]], shift: bool = False) -> None:
    """A real left-button drag along ``polygon`` (data coordinates) on the map."""
    plot, view = page.map.plot, page.map.view
    viewport = plot.viewport()
    modifiers = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier

    def at(x: float, y: float) -> QPointF:
        return QPointF(plot.mapFromScene(view.mapViewToScene(QPointF(x, y))))

    def send(kind: QEvent.Type, point: QPointF, buttons: Qt.MouseButton) -> None:
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        event = QMouseEvent(kind, point, viewport.mapToGlobal(point), button, buttons, modifiers)
        QApplication.sendEvent(viewport, event)

    left = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, at(*polygon[0]), left)
    QTest.qWait(600)  # pyqtgraph takes a press shorter than 0.5 s for a click
    for x, y in [*polygon[1:], polygon[0]]:
        send(QEvent.Type.MouseMove, at(x, y), left)
        QTest.qWait(30)  # pyqtgraph drops moves that come faster than its rate limit
    send(QEvent.Type.MouseButtonRelease, at(*polygon[0]), Qt.MouseButton.NoButton)


def _box(coords: np.ndarray, rows: list[int], pad: float = 0.05) -> list[tuple[float, float]]:
    """A free-hand-like octagon around the given points."""
    lo, hi = coords[rows].min(axis=0), coords[rows].max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    mid = (lo + hi) / 2
    return [(lo[0], mid[1]), (lo[0], lo[1]), (mid[0], lo[1]), (hi[0], lo[1]), (hi[0], mid[1]),
            (hi[0], hi[1]), (mid[0], hi[1]), (lo[0], hi[1])]


@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")  # the hover thumbnail
def test_lasso_selects_the_points_inside_and_shift_adds(page: AuditPage, qtbot: QtBot) -> None:
    coords = page.map.coords
    page.map.plot.autoRange()
    qtbot.wait(50)
    # the points left of the median x
    order = np.argsort(coords[:, 0])
    left = sorted(int(i) for i in order[: len(order) // 3])
    polygon = _box(coords, left)
    expected = inside_lasso(coords, polygon)
    assert set(left) <= set(expected) and len(expected) < len(coords)
    with qtbot.waitSignal(page.map.selection_changed, timeout=5000) as signal:
        _drag(page, polygon)
    assert signal.args[0] == expected == page.map.selected
    assert page.gallery.count() == len(expected)
    labels = page.current_labels()
    assert page.gallery.captions()[0].split("\n")[0] == labels[expected[0]]
    assert f"{len(expected)} image(s) selected" in page.selection_note.text()
    # Shift + lasso adds the rightmost point
    right = int(order[-1])
    x, y, d = coords[right, 0], coords[right, 1], 0.01
    _drag(page, [(x - d, y - d), (x + d, y - d), (x + d, y + d), (x - d, y + d)], shift=True)
    assert page.map.selected == sorted({*expected, right})
    # and the actions act on the whole selection
    target = page.result.report.classes[0]
    page.target.setCurrentText(target)
    qtbot.mouseClick(page.relabel, Qt.MouseButton.LeftButton)
    paths = [page.result.features.paths[i] for i in page.map.selected]
    assert page.workspace.data_config.edits.relabelled == dict.fromkeys(paths, target)


def test_gallery_shows_the_label_now_and_reviewed_rows_can_be_hidden(
        page: AuditPage, qtbot: QtBot) -> None:
    first = page.result.features.paths[0]
    given = page.table.item(0, 3).text()
    other = next(c for c in page.result.report.classes if c != given)
    page.table.selectRow(0)
    page.target.setCurrentText(other)
    qtbot.mouseClick(page.relabel, Qt.MouseButton.LeftButton)
    assert page.gallery.captions() == [f"{other}\nwas {given}"]
    qtbot.mouseClick(page.reviewed, Qt.MouseButton.LeftButton)
    assert page.gallery.captions() == [f"{other} ✓\nwas {given}"]
    assert page.workspace.data_config.edits.reviewed == {first}
    page.hide_reviewed.setChecked(True)
    assert page.table.isRowHidden(0)
    assert not any(page.table.isRowHidden(r) for r in range(1, page.table.rowCount()))
    page.hide_reviewed.setChecked(False)
    assert not page.table.isRowHidden(0)


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): "dir" if p.is_dir() else
            hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))}


def test_apply_to_files_previews_moves_then_undo_apply_restores(
        page: AuditPage, qtbot: QtBot) -> None:
    root = Path(page.workspace.data_config.source)
    before = _tree(root)
    assert not page.apply_files.isEnabled(), "nothing to apply before an edit"
    page.table.selectRow(0)
    first = page.result.features.paths[0]
    suggested = page.table.item(0, 4).text()
    page.target.setCurrentText(suggested)
    qtbot.mouseClick(page.relabel, Qt.MouseButton.LeftButton)
    page.map.select([1])
    page._show_gallery([1])
    second = page.result.features.paths[1]
    qtbot.mouseClick(page.exclude, Qt.MouseButton.LeftButton)
    version = page.workspace.data_config.dataset_version
    assert version is not None
    original = (root / first).read_bytes()
    assert page.apply_files.isEnabled() and not page.undo_apply.isEnabled()

    seen: list[list[str]] = []

    def confirm() -> None:
        dialog = page.files.preview
        assert dialog is not None
        rows = [[dialog.table.item(r, c).text() for c in range(3)]
                for r in range(dialog.table.rowCount())]
        seen.extend(rows)
        dialog.move_button.click()

    QTimer.singleShot(200, confirm)
    with qtbot.waitSignal(page.files.runner.finished, timeout=60_000):
        qtbot.mouseClick(page.apply_files, Qt.MouseButton.LeftButton)
    name = Path(first).name
    assert seen == [["relabel", first, f"{suggested}/{name}"],
                    ["exclude", second, f".netdesigner/excluded/{second}"]]
    assert (root / suggested / name).read_bytes() == original and not (root / first).exists()
    assert (root / ".netdesigner/excluded" / second).is_file() and not (root / second).exists()
    config = page.workspace.data_config
    assert config.dataset_version == version + 1 and not config.edits.relabelled
    assert "written to the files" in page.status.text()
    assert "Run the audit again" in page.status.text() and page.table.rowCount() == 0
    assert len(page.map.coords) == 0, "the map of the old file names is gone"
    assert page.gallery.count() == 0 and not page.selection_note.text()
    assert "the files hold it" in page.version.text()
    assert page.undo_apply.isEnabled() and not page.apply_files.isEnabled()
    qtbot.mouseClick(page.undo, Qt.MouseButton.LeftButton)
    assert "Undo apply" in page.status.text(), "undoing the version alone would not move files"
    assert page.workspace.data_config.dataset_version == version + 1

    with qtbot.waitSignal(page.files.runner.finished, timeout=60_000):
        qtbot.mouseClick(page.undo_apply, Qt.MouseButton.LeftButton)
    assert _tree(root) == before, "every file back, byte for byte"
    restored = page.workspace.data_config
    assert restored.dataset_version == version
    assert restored.edits.relabelled == {first: suggested} and restored.edits.excluded == {second}
