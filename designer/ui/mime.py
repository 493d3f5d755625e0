"""Mime types shared by drag sources (layer library) and drop targets (canvas)."""

from __future__ import annotations

#: a layer kind dragged from the library; payload: the catalog kind name, utf-8 (e.g. b"Dropout")
LAYER_KIND_MIME = "application/x-netdesigner-layer-kind"
