"""Background thumbnails: chunks in the order the view asks for, unreadable files marked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.ui.evaluation.thumbnails import ThumbnailLoader


@pytest.fixture
def loader(qtbot: QtBot) -> Iterator[ThumbnailLoader]:
    thumbnails = ThumbnailLoader(size=40, chunk=4)
    yield thumbnails
    thumbnails.shutdown()


def _paths(data: PreparedData, count: int) -> list[str]:
    return [str(data.manifest.root / e.path) for e in data.manifest.entries[:count]]


def test_chunks_follow_the_requested_order(qtbot: QtBot, loader: ThumbnailLoader,
                                           data: PreparedData) -> None:
    paths = _paths(data, 12)
    chunks: list[list[str]] = []
    loader.loaded.connect(lambda images: chunks.append(list(images)))
    loader.request(paths)  # the first chunk starts at once
    loader.request(paths[8:] + paths[:8])  # then the user scrolls to the end
    qtbot.waitUntil(lambda: not loader.busy, timeout=20_000)
    assert chunks[0] == paths[:4]
    assert chunks[1] == paths[8:12]  # the newly visible ones come before the rest
    assert sorted(p for chunk in chunks for p in chunk) == sorted(paths)
    for path in paths:
        image = loader.image(path)
        assert image is not None and not image.isNull()
        assert max(image.width(), image.height()) == 40


def test_unreadable_files_become_null_images(qtbot: QtBot, loader: ThumbnailLoader,
                                             tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    loader.request([str(broken)])
    qtbot.waitUntil(lambda: not loader.busy, timeout=20_000)
    image = loader.image(str(broken))
    assert image is not None and image.isNull()
