"""Drag-and-drop payload types shared by the layer library and the canvas."""

from __future__ import annotations

#: a layer kind from the library (payload: the kind name, UTF-8)
LAYER_KIND_MIME = "application/x-netdesigner-layer-kind"
