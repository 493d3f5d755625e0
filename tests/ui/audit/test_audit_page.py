"""The Audit page: suspects listed, map drawn, relabel / exclude / undo as dataset versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.audit import AuditFeatures, audit_features
from designer.audit.embedding import embed_2d
from designer.data import generated_dataset, scan, split_scan
from designer.project.data_config import DataConfig
from designer.project.dataset_versions import DatasetVersions
from designer.ui.audit import AuditPage
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
