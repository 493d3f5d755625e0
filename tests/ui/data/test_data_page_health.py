"""The Health and Images tabs: bad files with reasons, thumbnails per class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.ui.data import DataPage
from designer.ui.data.images import THUMB_SIZE
from designer.ui.data.thumbnails import MAX_THUMBNAILS
from designer.ui.workspace import Workspace

WAIT_MS = 20_000
FolderMaker = Callable[[tuple[str, ...], int], Path]


def table_rows(page: DataPage) -> dict[str, tuple[str, str]]:
    table = page.health.bad_files
    rows = {}
    for r in range(table.rowCount()):
        cells = [table.item(r, c) for c in range(3)]
        texts = [cell.text() if cell is not None else "" for cell in cells]
        rows[texts[0]] = (texts[1], texts[2])
    return rows


def test_bad_files_are_listed_with_reasons(qtbot: QtBot, page: DataPage, workspace: Workspace,
                                           make_folder: FolderMaker) -> None:
    folder = make_folder(("circle", "square"), 6)
    (folder / "circle" / "empty.jpg").write_bytes(b"")
    (folder / "square" / "notes.png").write_text("shopping list: milk, eggs\n", encoding="utf-8")
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.source_panel.pick(str(folder))
    rows = table_rows(page)
    assert set(rows) == {"circle/empty.jpg", "square/notes.png"}
    assert "empty" in rows["circle/empty.jpg"][0]
    assert rows["square/notes.png"][0]  # a reason the user can read
    assert rows["square/notes.png"][1] == "not image"
    assert page.health.bad_files.isVisibleTo(page.health)
    assert "Skipped files (2)" in page.health.bad_title.text()
    assert "2 files were skipped" in page.health.warnings.text()
    report = page.health.report.toPlainText()
    assert "circle/empty.jpg" in report and "square/notes.png" in report
    data = workspace.data
    assert data is not None and len(data.manifest.entries) == 12  # the good ones are used


def test_duplicates_across_splits_are_leakage(qtbot: QtBot, page: DataPage,
                                              workspace: Workspace, make_folder: FolderMaker) -> None:
    folder = make_folder(("circle", "square"), 10)
    for i in range(10):  # every circle twice: some copies land in another split
        source = next(p for p in sorted((folder / "circle").iterdir()) if "copy" not in p.name)
        (folder / "circle" / f"copy{i}{source.suffix}").write_bytes(source.read_bytes())
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.source_panel.pick(str(folder))
    assert page.health.duplicates.rowCount() >= 1
    problems = [page.health.duplicates.item(r, 3) for r in range(page.health.duplicates.rowCount())]
    assert any(p is not None and "leakage" in p.text() for p in problems)
    assert "leakage" in page.health.warnings.text()


def test_thumbnails_of_a_class(qtbot: QtBot, page: DataPage, workspace: Workspace) -> None:
    data = workspace.data
    assert data is not None
    page.tabs.setCurrentWidget(page.thumbnails)
    with qtbot.waitSignal(page.thumbnails.loaded, timeout=WAIT_MS,
                          check_params_cb=lambda name: name == "triangle"):
        page.thumbnails.classes.setCurrentRow(data.classes.index("triangle"))
    grid = page.thumbnails.grid
    triangles = data.manifest.counts()
    total = sum(triangles[s]["triangle"] for s in triangles)
    assert grid.count() == min(total, MAX_THUMBNAILS)
    for row in range(grid.count()):
        item = grid.item(row)
        assert item.data(Qt.ItemDataRole.UserRole).parent.name == "triangle"
        pixmap = item.icon().pixmap(THUMB_SIZE, THUMB_SIZE)
        assert pixmap.width() == THUMB_SIZE
        assert item.text() in ("train", "val", "test")
    assert "of 24 images" in page.thumbnails.caption.text()


def test_left_out_folders_and_links_are_listed(qtbot: QtBot, page: DataPage, workspace: Workspace,
                                               make_folder: FolderMaker) -> None:
    folder = make_folder(("circle", "square"), 6)
    (folder / "drafts").mkdir()  # empty: no third class
    (folder / "notes").mkdir()
    (folder / "notes" / "todo.txt").write_text("sort the squares\n", encoding="utf-8")
    (folder / "circle" / "again").symlink_to("again")  # a loop must not abort the import
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.source_panel.pick(str(folder))
    rows = table_rows(page)
    assert rows["drafts/"] == ("empty folder: not used as a class", "empty folder")
    assert rows["notes/"][1] == "no images" and "not used as a class" in rows["notes/"][0]
    assert rows["circle/again/"][1] == "link loop"
    assert rows["notes/todo.txt"][1] == "not image"
    assert "Skipped files (1) and folders (3)" in page.health.bad_title.text()
    assert "left out drafts: empty folder" in page.health.warnings.text()
    data = workspace.data
    assert data is not None and data.classes == ["circle", "square"]
