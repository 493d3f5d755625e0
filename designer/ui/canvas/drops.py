"""Dropping a layer kind from the library onto the canvas inserts it there.

Onto an edge: between the two nodes it joins. Onto a node: right after it. The target under
the cursor is highlighted while dragging so the user sees where the layer will land.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QMimeData, QPoint
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from designer.ui.canvas import targets
from designer.ui.canvas.edge_item import EdgeItem
from designer.ui.canvas.node_item import LayerItem
from designer.ui.mime import LAYER_KIND_MIME

if TYPE_CHECKING:
    from designer.ui.canvas.view import NetworkView


def kind_of(mime: QMimeData) -> str | None:
    """The layer kind carried by a drag, or None if it is not one of ours."""
    if not mime.hasFormat(LAYER_KIND_MIME):
        return None
    return bytes(mime.data(LAYER_KIND_MIME).data()).decode("utf-8", "replace").strip() or None


class DropHandler:
    """Drag-and-drop state of one view (the highlighted target)."""

    def __init__(self, view: NetworkView) -> None:
        self.view = view
        self._lit: LayerItem | EdgeItem | None = None

    def enter(self, event: QDragEnterEvent) -> bool:
        """Accept our mime type (True when handled)."""
        if kind_of(event.mimeData()) is None:
            return False
        if self.view.session.design is None or self.view.session.locked:
            event.ignore()
        else:
            event.acceptProposedAction()
        return True

    def move(self, event: QDragMoveEvent) -> bool:
        """Highlight the node or edge the layer would land on."""
        if kind_of(event.mimeData()) is None:
            return False
        target = self.target_at(event.position().toPoint())
        self._light(target)
        if target is None:
            event.ignore()
        else:
            event.acceptProposedAction()
        return True

    def leave(self) -> None:
        """The drag left the view: remove the highlight."""
        self._light(None)

    def drop(self, event: QDropEvent) -> bool:
        """Insert the dropped kind at the target under the cursor."""
        kind = kind_of(event.mimeData())
        if kind is None:
            return False
        target = self.target_at(event.position().toPoint())
        self._light(None)
        if target is None or not self.insert(kind, target):
            event.ignore()
        else:
            event.acceptProposedAction()
        return True

    def target_at(self, pos: QPoint) -> LayerItem | EdgeItem | None:
        """Node first (bigger, more deliberate), else an edge near the cursor."""
        return self.view.node_at(pos) or self.view.edge_at(pos)

    def insert(self, kind: str, target: LayerItem | EdgeItem) -> bool:
        """Insert `kind` at a node or edge through the session; selects the new layer."""
        network = self.view.network_scene.network
        if network is None:
            return False
        if isinstance(target, EdgeItem):
            point = targets.on_edge(network, target.source.view.members, target.target.view.members)
        else:
            point = targets.on_node(target.view.members)
        name = self.view.session.edit(lambda d: d.insert_layer(point.after, kind, into=point.into))
        if isinstance(name, str):
            self.view.session.select([name])
            return True
        return False

    def _light(self, target: LayerItem | EdgeItem | None) -> None:
        if target is self._lit:
            return
        if self._lit is not None and not shiboken6.isValid(self._lit):
            self._lit = None  # the scene was rebuilt under the drag
        if isinstance(self._lit, EdgeItem):
            self._lit.set_highlight(False)
        elif isinstance(self._lit, LayerItem):
            self._lit.set_drop_target(False)
        self._lit = target
        if isinstance(target, EdgeItem):
            target.set_highlight(True)
        elif isinstance(target, LayerItem):
            target.set_drop_target(True)
