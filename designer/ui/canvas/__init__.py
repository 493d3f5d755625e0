"""The layer-graph canvas: `NetworkCanvas` (widget), `NetworkView`, `NetworkScene`, items."""

from __future__ import annotations

from designer.ui.canvas.canvas import NetworkCanvas
from designer.ui.canvas.scene import NetworkScene
from designer.ui.canvas.view import NetworkView

__all__ = ["NetworkCanvas", "NetworkScene", "NetworkView"]
