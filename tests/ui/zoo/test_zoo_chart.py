"""The bubble chart: where models are drawn, and clicking / hovering them."""

from __future__ import annotations

import itertools
import math

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from designer.ui.zoo import ModelBrowser
from designer.ui.zoo.chart_points import DEFAULT_MS_PER_GFLOP, chart_points
from designer.zoo.registry import get_entry, list_entries

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _viewport_pos(browser: ModelBrowser, name: str) -> QPoint:
    return browser.chart.plot.mapFromScene(browser.chart.scene_pos_of(name))


def _torchvision_only(browser: ModelBrowser) -> None:
    browser.source_combo.setCurrentIndex(browser.source_combo.findData("torchvision"))


def test_unmeasured_models_are_estimated_from_gflops_of_measured_ones() -> None:
    entries = [get_entry(n) for n in ("resnet18", "resnet50", "mobilenet_v2_backbone_bundled")]
    points, skipped = chart_points(entries, lambda _n: None)
    assert skipped == 1  # the backbone has no ImageNet top-1 to plot
    resnet50 = next(p for p in points if p.name == "resnet50")
    assert resnet50.estimated
    assert resnet50.latency_ms == pytest.approx(DEFAULT_MS_PER_GFLOP * (entries[1].gflops or 0))
    # once resnet18 is measured, its speed calibrates the estimate of resnet50
    measured = {"resnet18": 2.0 * (entries[0].gflops or 0)}
    points, _ = chart_points(entries, measured.get)
    by_name = {p.name: p for p in points}
    assert not by_name["resnet18"].estimated and by_name["resnet18"].latency_ms == measured[
        "resnet18"]
    assert by_name["resnet50"].latency_ms == pytest.approx(2.0 * (entries[1].gflops or 0))


def test_bubble_area_follows_file_size() -> None:
    points, _ = chart_points([get_entry("resnet18"), get_entry("resnet50")], lambda _n: None)
    small, big = sorted(points, key=lambda p: p.size_mb)
    area_ratio = (big.diameter_px / small.diameter_px) ** 2
    assert area_ratio == pytest.approx(big.size_mb / small.size_mb)


def test_chart_shows_the_filtered_models(qtbot: QtBot, browser: ModelBrowser) -> None:
    # a bubble needs a published top-1 and a latency (measured, or estimated from GFLOPs)
    shown = sum(e.acc1 is not None and e.gflops is not None for e in list_entries())
    assert len(browser.chart.points) == shown
    skipped = len(list_entries()) - shown
    assert f"{skipped} without published top-1 or GFLOPs not shown" in browser.chart.note.text()
    _torchvision_only(browser)
    browser.filter_edit.setText("mobilenet_v3")
    qtbot.waitUntil(lambda: set(browser.chart.points) == {"mobilenet_v3_large",
                                                          "mobilenet_v3_small"})
    assert browser.chart.note.text().startswith("0/2 measured")


def test_clicking_a_bubble_selects_its_row(qtbot: QtBot, browser: ModelBrowser) -> None:
    _torchvision_only(browser)
    browser.filter_edit.setText("mobilenet_v3")
    qtbot.waitUntil(lambda: set(browser.chart.points) == {"mobilenet_v3_large",
                                                          "mobilenet_v3_small"})
    qtbot.wait(50)  # let the plot finish laying out before mapping positions
    with qtbot.waitSignal(browser.chart.model_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(browser.chart.plot.viewport(), Qt.MouseButton.LeftButton,
                         pos=_viewport_pos(browser, "mobilenet_v3_large"))
    assert clicked.args == ["mobilenet_v3_large"]
    assert browser.selected_names() == ["mobilenet_v3_large"]
    assert browser.current_name() == "mobilenet_v3_large"


def test_selecting_a_row_rings_its_bubble(browser: ModelBrowser) -> None:
    browser.select_model("resnet18")
    point = browser.chart.points["resnet18"]
    ring = browser.chart.ring.data
    assert len(ring) == 1
    assert (ring[0]["x"], ring[0]["y"]) == (math.log10(point.latency_ms), point.top1)


def test_hover_names_the_bubble(qtbot: QtBot, browser: ModelBrowser) -> None:
    _torchvision_only(browser)
    browser.filter_edit.setText("mobilenet_v3")
    qtbot.waitUntil(lambda: len(browser.chart.points) == 2)
    qtbot.wait(50)
    qtbot.mouseMove(browser.chart.plot.viewport(), _viewport_pos(browser, "mobilenet_v3_small"))
    qtbot.waitUntil(lambda: browser.chart.label.isVisible())
    assert browser.chart.label.toPlainText() == "MobileNetV3-Small"


@pytest.mark.parametrize("family", ["resnet", "mobilenet_v3", ""])
def test_latency_labels_never_overlap_when_filtered(qtbot: QtBot, browser: ModelBrowser,
                                                    family: str) -> None:
    from PySide6.QtGui import QFontMetrics

    browser.resize(380, 700)
    _torchvision_only(browser)
    browser.filter_edit.setText(family)
    qtbot.waitUntil(lambda: all(family in name for name in browser.chart.points))
    qtbot.wait(50)
    axis = browser.chart.plot.getPlotItem().getAxis("bottom")
    low, high = axis.range
    width = axis.geometry().width()
    values = [v for _spacing, ticks in axis.tickValues(low, high, width) for v in ticks]
    labels = axis.tickStrings(values, 1.0, 1.0)
    assert len(values) >= 2, "at least two latencies are labelled"
    assert all("·" not in text and "e" not in text for text in labels), labels
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    spans = sorted(((v - low) / (high - low) * width, metrics.horizontalAdvance(text))
                   for v, text in zip(values, labels, strict=True))
    for (left, left_width), (right, right_width) in itertools.pairwise(spans):
        assert left + left_width / 2 + 4 <= right - right_width / 2, labels


def test_latency_label_has_no_false_si_scale(qtbot: QtBot, browser: ModelBrowser) -> None:
    """Filtered to models of 1-5 ms, the axis once read "(ms) (x0.001)", a thousand times off."""
    _torchvision_only(browser)
    browser.filter_edit.setText("mobilenet")
    qtbot.waitUntil(lambda: len(browser.chart.points) == 3)
    qtbot.wait(50)
    axis = browser.chart.plot.getPlotItem().getAxis("bottom")
    label = axis.labelString()
    assert "log scale (ms)" in label
    assert "(x" not in label
