"""Preparing data from the page: samples, folders, split changes, errors and cancelling."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.project import data_config
from designer.project.data_config import PreparedData
from designer.ui.data import DataPage, source_panel
from designer.ui.data import preparer as preparer_module
from designer.ui.workspace import Workspace

FolderMaker = Callable[[tuple[str, ...], int], Path]

SPLITS = ("train", "val", "test")
WAIT_MS = 20_000


def assert_views_match(page: DataPage, data: PreparedData) -> None:
    """Chart and table show exactly the manifest's counts."""
    counts = data.manifest.counts()
    for name in data.classes:
        per_split = [counts[s][name] for s in SPLITS]
        assert page.overview.table.row_counts(name) == [*per_split, sum(per_split)]
    for split in SPLITS:
        assert page.overview.chart.heights(split) == [counts[split][c] for c in data.classes]
    totals = [sum(counts[s].values()) for s in SPLITS]
    assert page.overview.table.row_counts("Total") == [*totals, sum(totals)]


def test_shapes_sample_prepares_four_classes(page: DataPage, workspace: Workspace) -> None:
    data = workspace.data
    assert data is not None
    assert data.classes == ["circle", "square", "stripes", "triangle"]
    assert page.overview.chart.classes == data.classes
    assert_views_match(page, data)
    assert sum(page.overview.chart.heights("train")) == len(data.manifest.samples("train"))
    assert page.source_panel.combo.currentData() == data_config.SAMPLE_SHAPES
    assert str(data.scan.root) in page.source_panel.location.text()
    assert page.message.isHidden()


def test_split_change_re_prepares_and_counts_follow(qtbot: QtBot, page: DataPage,
                                                    workspace: Workspace) -> None:
    before = workspace.data
    assert before is not None and sum(before.manifest.counts()["test"].values()) > 0
    page.split_panel.spins[0].setValue(80)
    assert page.split_panel.values == (80, 15, 5)  # always 100 in total
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS,
                          check_params_cb=lambda d: d is not None and d.config.fractions[2] == 0):
        page.split_panel.spins[2].setValue(0)
        assert page.split_panel.values == (80, 20, 0)
    data = workspace.data
    assert data is not None and data is not before
    assert workspace.data_config.fractions == pytest.approx((0.8, 0.2, 0.0))
    counts = data.manifest.counts()
    assert sum(counts["test"].values()) == 0
    assert sum(counts["train"].values()) > sum(before.manifest.counts()["train"].values())
    assert_views_match(page, data)
    assert "test" not in page.overview.chart.bars  # no empty segment in the legend


def test_choose_folder_uses_the_dialog_result(qtbot: QtBot, page: DataPage, workspace: Workspace,
                                              make_folder: FolderMaker,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(("circle", "square", "triangle"), 5)
    monkeypatch.setattr(source_panel, "choose_directory", lambda _parent, _start: str(folder))
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.source_panel.choose_button.click()
    assert workspace.data_config.source == str(folder)
    data = workspace.data
    assert data is not None and data.classes == ["circle", "square", "triangle"]
    assert page.source_panel.combo.currentText() == "Folder: mine"
    assert_views_match(page, data)


def test_single_class_folder_shows_a_clear_error(qtbot: QtBot, page: DataPage,
                                                 workspace: Workspace,
                                                 make_folder: FolderMaker) -> None:
    folder = make_folder(("circle",), 4)
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS,
                          check_params_cb=lambda d: d is None):
        page.source_panel.pick(str(folder))
    assert page.message.isVisibleTo(page)
    text = page.message.text()
    assert "1 class folder" in text and "at least two classes" in text
    assert page.overview.table.row_counts("Total") == [0, 0, 0, 0]
    assert page.overview.summary.text() == "No data prepared yet."


def test_missing_folder_is_an_error_not_a_crash(qtbot: QtBot, page: DataPage,
                                                workspace: Workspace, tmp_path: Path) -> None:
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS,
                          check_params_cb=lambda d: d is None):
        page.source_panel.pick(str(tmp_path / "gone"))
    assert "is not a folder" in page.message.text()


def test_cancel_keeps_the_previous_data(qtbot: QtBot, page: DataPage, workspace: Workspace,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    previous = workspace.data
    assert previous is not None
    entered = threading.Event()
    real = data_config.prepare_data

    def held_until_cancelled(*args: object, **kwargs: object) -> PreparedData:
        """The real preparation, started only once the user has pressed Cancel."""
        entered.set()
        cancel = kwargs["cancel"]
        assert callable(cancel)
        for _ in range(400):
            if cancel():
                break
            threading.Event().wait(0.025)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(preparer_module, "prepare_data", held_until_cancelled)
    page.split_panel.seed.setValue(7)
    page.apply_settings()
    assert page.preparer.busy and page.progress_strip.isVisibleTo(page)
    assert entered.wait(5)
    with qtbot.assertNotEmitted(workspace.data_changed), \
            qtbot.waitSignal(page.preparer.cancelled, timeout=WAIT_MS):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.preparer.busy, timeout=WAIT_MS)
    assert workspace.data is previous
    assert "cancelled" in page.message.text() and "still in use" in page.message.text()
    assert not page.progress_strip.isVisibleTo(page)
    assert_views_match(page, previous)


def test_cap_limits_images_per_class(qtbot: QtBot, page: DataPage, workspace: Workspace) -> None:
    page.split_panel.cap.setValue(10)
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.split_panel.cap_check.setChecked(True)
    assert workspace.data_config.cap == 10
    data = workspace.data
    assert data is not None
    assert page.overview.table.row_counts("Total")[3] == 40  # 4 classes x 10
    assert_views_match(page, data)


def test_missing_tux_paint_is_disabled_with_how_to_install(qtbot: QtBot,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_panel, "tuxpaint_source", lambda: None)
    panel = source_panel.SourcePanel()
    qtbot.addWidget(panel)
    model = panel.combo.model()
    index = panel.combo.findData(data_config.SAMPLE_TUXPAINT)
    item = model.item(index)  # type: ignore[attr-defined]
    assert not item.isEnabled()
    assert "apt-get install tuxpaint-stamps-default" in item.toolTip()
    shapes = model.item(panel.combo.findData(data_config.SAMPLE_SHAPES))  # type: ignore[attr-defined]
    assert shapes.isEnabled()
