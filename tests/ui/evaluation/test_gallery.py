"""A big confusion-matrix cell: rows without per-image items, thumbnails only near the view."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.evaluation import Prediction
from designer.ui.evaluation.gallery import AHEAD, CellGallery
from tests.ui.conftest import Show

COUNT = 1500


@pytest.fixture
def gallery(show: Show[CellGallery]) -> CellGallery:
    return show(CellGallery(), (540, 560))


def _predictions(folder: Path) -> list[Prediction]:
    """Missing files decode fast (as unreadable), which is all this test needs."""
    return [Prediction(i, str(folder / f"img_{i:05d}.png"), 0, 1, 1.0 - i / COUNT, ((1, 0.9),))
            for i in range(COUNT)]


def test_only_thumbnails_near_the_view_are_loaded(qtbot: QtBot, gallery: CellGallery,
                                                  tmp_path: Path) -> None:
    predictions = _predictions(tmp_path)
    gallery.show_predictions("big cell", predictions, ["a", "b"])
    assert gallery.model.rowCount() == COUNT
    loader = gallery.loader
    qtbot.waitUntil(lambda: not loader.busy, timeout=20_000)
    loaded = [p for p in predictions if loader.image(str(p.path)) is not None]
    assert loaded == predictions[:AHEAD]
    bar = gallery.list.verticalScrollBar()
    bar.setValue(bar.maximum())  # the user scrolls to the least confident images
    qtbot.waitUntil(lambda: loader.image(str(predictions[-1].path)) is not None, timeout=20_000)
    qtbot.waitUntil(lambda: not loader.busy, timeout=20_000)
    assert loader.image(str(predictions[COUNT // 2].path)) is None  # skipped over, never decoded
