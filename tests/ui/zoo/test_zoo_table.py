"""The zoo table: every model listed, numbers sorted as numbers, filters, tooltips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch.hub
from PySide6.QtCore import QPoint, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from designer.ui.zoo import Column, ModelBrowser, ZooTableModel
from designer.ui.zoo.filter_proxy import ZooFilterProxy
from designer.ui.zoo.table_model import MISSING, NAME_ROLE
from designer.zoo.registry import get_entry, list_entries

# the offscreen platform warns on every top-level show; nothing to do with our code
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _column_texts(browser: ModelBrowser, column: Column) -> list[str]:
    proxy = browser.proxy
    return [str(proxy.index(row, column).data()) for row in range(proxy.rowCount())]


def _click_header(qtbot: QtBot, browser: ModelBrowser, column: Column) -> None:
    header = browser.table.horizontalHeader()
    browser.table.scrollTo(browser.proxy.index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_model_and_proxy_pass_qt_model_tester(qtmodeltester: ModelTester) -> None:
    model = ZooTableModel()
    qtmodeltester.check(model)
    proxy = ZooFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_text("net")
    proxy.sort(Column.PARAMS)
    qtmodeltester.check(proxy)


def test_lists_every_zoo_model(browser: ModelBrowser) -> None:
    names = {browser.proxy.index(r, 0).data(NAME_ROLE) for r in range(browser.proxy.rowCount())}
    assert names == {e.name for e in list_entries()}
    assert len(names) == len(list_entries()) > 1800  # torchvision, timm and bundled


def test_header_click_sorts_params_as_numbers(qtbot: QtBot, browser: ModelBrowser) -> None:
    browser.source_combo.setCurrentIndex(browser.source_combo.findData("torchvision"))
    _click_header(qtbot, browser, Column.PARAMS)
    values = [float(t.replace(",", "")) for t in _column_texts(browser, Column.PARAMS)]
    assert values in (sorted(values), sorted(values, reverse=True))
    assert values != sorted(values, key=str)  # an alphabetical sort would differ
    _click_header(qtbot, browser, Column.PARAMS)  # and the other way round
    again = [float(t.replace(",", "")) for t in _column_texts(browser, Column.PARAMS)]
    assert again == values[::-1]


def test_unknown_values_sort_after_known_ones(browser: ModelBrowser) -> None:
    browser.table.sortByColumn(Column.TOP1, Qt.SortOrder.AscendingOrder)
    texts = _column_texts(browser, Column.TOP1)
    assert texts[-1] == MISSING  # the backbone-only bundled model has no ImageNet top-1
    known = [float(t) for t in texts if t != MISSING]
    assert known == sorted(known)


def test_filter_text_shows_only_resnets(qtbot: QtBot, browser: ModelBrowser) -> None:
    browser.source_combo.setCurrentIndex(browser.source_combo.findData("torchvision"))
    qtbot.keyClicks(browser.filter_edit, "resnet")
    families = set(_column_texts(browser, Column.FAMILY))
    assert families == {"ResNet", "Wide ResNet"}
    expected = [e for e in list_entries() if "resnet" in f"{e.name} {e.family}".lower()
                and e.source == "torchvision"]
    assert browser.proxy.rowCount() == len(expected) == 7
    browser.filter_edit.clear()
    assert browser.proxy.rowCount() == 80


def test_family_combo_filters(browser: ModelBrowser) -> None:
    browser.source_combo.setCurrentIndex(browser.source_combo.findData("torchvision"))
    combo = browser.family_combo
    combo.setCurrentIndex(combo.findText("ResNet"))
    shown = _column_texts(browser, Column.NAME)
    assert shown == ["ResNet-101", "ResNet-152", "ResNet-18", "ResNet-34", "ResNet-50"]
    browser.filter_edit.setText("18")
    assert _column_texts(browser, Column.NAME) == ["ResNet-18"]


def test_tooltip_tells_input_size_notes_and_links() -> None:
    model = ZooTableModel()
    lite0 = model.index(model.row_of("efficientnet_lite0_bundled"), Column.NAME)
    tip = str(lite0.data(Qt.ItemDataRole.ToolTipRole))
    assert "224×224 px" in tip
    assert "works offline" in tip  # the entry's notes
    assert "apache.org/licenses" in tip
    resnet = model.index(model.row_of("resnet18"), Column.WEIGHTS)
    assert resnet.data() == "download"
    assert "references/classification" in str(resnet.data(Qt.ItemDataRole.ToolTipRole))


def test_weights_column_says_bundled_and_cached() -> None:
    model = ZooTableModel()
    assert model.weights_status("efficientnet_lite0_bundled") == "bundled"
    file_name = get_entry("squeezenet1_1").weights_file_name
    assert file_name is not None
    cached = Path(torch.hub.get_dir()) / "checkpoints" / file_name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"placeholder")
    model.reload_machine_state()
    assert model.index(model.row_of("squeezenet1_1"), Column.WEIGHTS).data() == "cached"


def test_licence_top1_and_size_limits(browser: ModelBrowser) -> None:
    browser.license_combo.setCurrentIndex(browser.license_combo.findData("mit"))
    browser.top1_spin.setValue(80.0)
    browser.params_spin.setValue(30.0)
    shown = [browser.proxy.entry_at(row) for row in range(browser.proxy.rowCount())]
    assert shown, "some MIT-licensed timm models reach 80 % with under 30 M parameters"
    for entry in shown:
        assert entry.license == "mit" and entry.acc1 is not None and entry.acc1 >= 80.0
        assert entry.num_params is not None and entry.num_params <= 30e6
    expected = [e for e in list_entries() if e.license == "mit" and (e.acc1 or 0) >= 80
                and e.num_params is not None and e.num_params <= 30e6]
    assert len(shown) == len(expected)
    browser.top1_spin.setValue(0.0)  # "any": unknown accuracies come back
    assert any(e.acc1 is None for e in
               (browser.proxy.entry_at(r) for r in range(browser.proxy.rowCount())))


def test_timm_tooltip_tells_where_figures_come_from() -> None:
    model = ZooTableModel()
    row = model.row_of("convnext_atto.d2_in1k")
    tip = str(model.index(row, Column.NAME).data(Qt.ItemDataRole.ToolTipRole))
    assert "trained on in1k" in tip and "licence apache-2.0" in tip
    assert "timm results tables" in tip and "timm/convnext_atto.d2_in1k" in tip
    unpublished = next(e for e in list_entries() if e.source == "timm" and e.acc1 is None)
    tip = str(model.index(model.row_of(unpublished.name), 0).data(Qt.ItemDataRole.ToolTipRole))
    assert "not published" in tip
