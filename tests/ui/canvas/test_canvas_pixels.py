"""What actually reaches the screen: frozen nodes lose their colour and gain a lock, broken ones
turn red, and zoomed-out views still show titles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage

from designer.ui.canvas import style
from designer.ui.canvas.node_item import LayerItem

if TYPE_CHECKING:
    from conftest import CanvasDriver


def _grab(driver: CanvasDriver) -> QImage:
    return driver.canvas.view.viewport().grab().toImage()


def _pixel(driver: CanvasDriver, image: QImage, item: LayerItem, dx: float, dy: float) -> QColor:
    """Colour at an offset from the node's top-left corner (scene units)."""
    box = item.box()
    point = driver.canvas.view.mapFromScene(item.pos() + QPointF(box.left() + dx, box.top() + dy))
    return image.pixelColor(point)


def _dark_pixels(driver: CanvasDriver, image: QImage, item: LayerItem) -> int:
    """Dark pixels in the node's top-right corner, where the lock is drawn."""
    box = item.box()
    count = 0
    for x in range(int(box.width()) - 24, int(box.width()) - 4):
        for y in range(4, 24):
            if _pixel(driver, image, item, x, y).lightnessF() < 0.35:
                count += 1
    return count


def test_frozen_layers_are_grey_with_a_lock(driver: CanvasDriver) -> None:
    driver.canvas.view.set_zoom(1.0)
    conv1 = driver.node("conv1")
    driver.canvas.view.centerOn(conv1)
    before = _grab(driver)
    band_before = _pixel(driver, before, conv1, style.BAND / 2, 30)
    assert band_before.hsvSaturationF() > 0.3, "the category colour shows while trainable"
    assert _dark_pixels(driver, before, conv1) == 0
    driver.wait_analysis(lambda: driver.session.edit(lambda d: d.set_frozen(["conv1"], True)))
    after = _grab(driver)
    assert _pixel(driver, after, conv1, style.BAND / 2, 30).hsvSaturationF() < 0.12
    assert _pixel(driver, after, conv1, 60, 30).hsvSaturationF() < 0.08, "grey body"
    assert _dark_pixels(driver, after, conv1) > 20, "a lock is drawn"


def test_a_broken_layer_has_a_red_outline(driver: CanvasDriver) -> None:
    driver.canvas.view.set_zoom(1.0)
    driver.wait_analysis(lambda: driver.session.edit(lambda d: d.delete_layer("conv1")))
    bn1 = driver.node("bn1")
    driver.canvas.view.centerOn(bn1)
    image = _grab(driver)
    edge = _pixel(driver, image, bn1, 80, 0)
    assert edge.red() > 150 and edge.green() < 90 and edge.blue() < 90


def test_zoomed_out_nodes_still_show_their_titles(driver: CanvasDriver) -> None:
    view = driver.canvas.view
    view.set_zoom(0.3)
    item = driver.node("block:layer2.0")
    view.centerOn(item)
    image = _grab(driver)
    box = item.box()
    dark = sum(1 for x in range(20, int(box.width()) - 20, 2) for y in range(20, 40, 2)
               if _pixel(driver, image, item, x, y).lightnessF() < 0.4)
    assert dark > 3, "the title is drawn in the overview font"
