"""`NetworkView`: zoom, pan, fit, find, context menus and drops on top of a `NetworkScene`.

Mouse: plain wheel scrolls, Ctrl+wheel zooms under the cursor, left-drag on the background
draws a selection rubber band, middle-drag or Space+drag pans, double-click opens or closes a
block. Keys: F fits, +/- zoom, Delete deletes the selected layers, Escape clears the selection.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from designer.ui.canvas import menus
from designer.ui.canvas.drops import DropHandler
from designer.ui.canvas.edge_item import EdgeItem
from designer.ui.canvas.frame_item import BlockFrame
from designer.ui.canvas.node_item import LayerItem
from designer.ui.canvas.scene import NetworkScene

MIN_ZOOM, MAX_ZOOM = 0.03, 4.0
STEP = 1.25
#: the opening view fits the network if labels stay readable at that zoom; otherwise it shows
#: the top of the network at OPEN_ZOOM and the user scrolls for the rest
OPEN_MIN_ZOOM = 0.62
OPEN_ZOOM = 0.8
#: zoom used to show a found layer when the view is zoomed too far out to read it
READABLE_ZOOM = 0.9


class NetworkView(QGraphicsView):
    """Interactive view of the layer graph."""

    def __init__(self, scene: NetworkScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.network_scene = scene
        self.session = scene.session
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setBackgroundBrush(Qt.GlobalColor.white)
        self.drops = DropHandler(self)
        self._pan_from: QPoint | None = None
        self._space = False
        self._collapsed_by_press = False
        #: the opening view has not been touched yet: redo it when the widget gets its size
        self._fresh = False
        #: a resize arrived while the scene was still being built in steps
        self._reopen_when_built = False
        scene.design_shown.connect(self.show_opening)
        scene.rebuilt.connect(self._on_rebuilt)
        scene.selected_elsewhere.connect(self._on_selected_elsewhere)

    # ----- zoom and fit ----------------------------------------------------------------
    @property
    def zoom(self) -> float:
        """Current scale (1.0 = one scene unit per pixel)."""
        return float(self.transform().m11())

    def set_zoom(self, zoom: float) -> None:
        """Zoom to an absolute scale (clamped to a usable range)."""
        self._fresh = False
        factor = max(MIN_ZOOM, min(MAX_ZOOM, zoom)) / self.zoom
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        """One step closer."""
        self.set_zoom(self.zoom * STEP)

    def zoom_out(self) -> None:
        """One step further away."""
        self.set_zoom(self.zoom / STEP)

    def fit(self) -> None:
        """Show the whole network."""
        rect = self.network_scene.graph_rect()
        if not rect.isEmpty():
            self.fitInView(rect.adjusted(-20, -20, 20, 20), Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom > 1.25:
                self.set_zoom(1.25)
        self._fresh = False

    def show_opening(self) -> None:
        """A new design: fit it if labels stay readable, otherwise show its top at reading size."""
        rect = self.network_scene.graph_rect()
        if rect.isEmpty():
            return
        port = self.viewport().rect()
        self._fresh = False
        fits = min(port.width() / (rect.width() + 40), port.height() / (rect.height() + 40))
        if fits >= OPEN_MIN_ZOOM:
            self.fit()
            return
        across = port.width() / (rect.width() + 40)
        self.set_zoom(min(max(across, OPEN_MIN_ZOOM), OPEN_ZOOM))
        self.centerOn(QPointF(rect.center().x(), rect.top() + port.height() / 2 / self.zoom))
        self._fresh = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fresh:  # laid out after the design arrived: choose the opening view again
            if self.network_scene.building:  # measuring the graph now would finish the build
                self._reopen_when_built = True
            else:
                self.show_opening()

    def _on_rebuilt(self) -> None:
        if self._reopen_when_built:
            self._reopen_when_built = False
            if self._fresh:
                self.show_opening()

    def centre_on(self, item: LayerItem) -> None:
        """Bring a node to the middle of the view at a zoom where it can be read."""
        self._fresh = False
        if self.zoom < READABLE_ZOOM * 0.66:
            self.set_zoom(READABLE_ZOOM)
        self.centerOn(item)

    def _on_selected_elsewhere(self, items: list[LayerItem]) -> None:
        if items:
            self.centre_on(items[0])

    # ----- finding ---------------------------------------------------------------------
    def find_layer(self, name: str) -> bool:
        """Select layer (or block) `name`, opening its block if needed, and centre it."""
        scene, network = self.network_scene, self.network_scene.network
        if network is None:
            return False
        block = scene.block_item(name)
        names = list(block.view.members) if block is not None else [name]
        if block is None and name not in network:
            members = network.layers_of_group(name)
            if not members:
                return False
            names = [members[0].name]
        if self.session.selection == names:
            item = scene.item_for_layer(names[0]) if block is None else block
            if item is not None:
                self.centre_on(item)
        self.session.select(names)
        return True

    # ----- mouse and keys --------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        self._fresh = False
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.set_zoom(self.zoom * STEP ** steps)
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._fresh = False
        panning = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space)
        if panning:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        self._collapsed_by_press = False
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            frame = self.header_at(pos) if self.node_at(pos) is None else None
            if frame is not None:
                self._collapsed_by_press = True  # the double-click that may follow is spent
                self.toggle_block(frame.path, expand=False)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if event.buttons() & Qt.MouseButton.LeftButton and isinstance(
                self.network_scene.mouseGrabberItem(), LayerItem):
            for item in self.network_scene.selectedItems():
                if isinstance(item, LayerItem):
                    item.follow()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._collapsed_by_press:  # its first click already collapsed the block
            self._collapsed_by_press = False
            event.accept()
            return
        item = self.node_at(event.position().toPoint())
        if item is not None and item.view.is_block:
            self.toggle_block(item.view.block_path, expand=True)
        elif item is None and (frame := self.frame_at(event.position().toPoint())) is not None:
            self.toggle_block(frame.path, expand=False)
        else:
            super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
        elif key == Qt.Key.Key_F and not event.modifiers():
            self.fit()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key == Qt.Key.Key_Minus:
            self.zoom_out()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            menus.delete_selected(self)
        elif key == Qt.Key.Key_Escape:
            self.network_scene.clearSelection()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
        super().keyReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.node_at(event.pos())
        if item is not None:
            if not item.isSelected():
                self.network_scene.clearSelection()
                item.setSelected(True)
            menu = menus.node_menu(self, item)
        elif (edge := self.edge_at(event.pos())) is not None:
            menu = menus.edge_menu(self, edge)
        else:
            menu = menus.background_menu(self, self.frame_at(event.pos()))
        menus.exec_menu(menu, event.globalPos())

    # ----- blocks ----------------------------------------------------------------------
    def toggle_block(self, path: str, *, expand: bool) -> None:
        """Open or close a block, keeping its first layer where it was on screen."""
        self._fresh = False
        scene = self.network_scene
        network = scene.network
        if network is None:
            return
        members = network.layers_of_group(path)
        anchor_item = scene.item_for_layer(members[0].name) if members else None
        anchor = self.mapFromScene(anchor_item.pos()) if anchor_item is not None else None
        if expand:
            scene.expand_block(path)
        else:
            scene.collapse_block(path)
        moved = scene.item_for_layer(members[0].name) if members else None
        if anchor is not None and moved is not None:
            shift = self.mapToScene(anchor) - moved.pos()
            centre = self.mapToScene(self.viewport().rect().center())
            self.centerOn(centre - shift)

    # ----- hit testing -----------------------------------------------------------------
    def node_at(self, pos: QPoint) -> LayerItem | None:
        """The node under a viewport position."""
        return next((i for i in self.items(pos) if isinstance(i, LayerItem)), None)

    def edge_at(self, pos: QPoint) -> EdgeItem | None:
        """The edge under a viewport position (a generous band around the curve)."""
        return next((i for i in self.items(pos) if isinstance(i, EdgeItem)), None)

    def header_at(self, pos: QPoint) -> BlockFrame | None:
        """The innermost expanded-block frame whose header (name tab, top edge) is under `pos`."""
        scene_pos = self.mapToScene(pos)
        frames = [i for i in self.items(pos) if isinstance(i, BlockFrame)
                  and i.header_contains(scene_pos)]
        return max(frames, key=lambda f: f.path.count("."), default=None)

    def frame_at(self, pos: QPoint) -> BlockFrame | None:
        """The innermost expanded-block frame under a viewport position."""
        scene_pos = self.mapToScene(pos)
        frames = [i for i in self.items(pos) if isinstance(i, BlockFrame)
                  and (i.box().contains(scene_pos) or i.header_contains(scene_pos))]
        return max(frames, key=lambda f: f.path.count("."), default=None)

    # ----- drops (layer library) -------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not self.drops.enter(event):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not self.drops.move(event):
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drops.leave()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not self.drops.drop(event):
            super().dropEvent(event)
