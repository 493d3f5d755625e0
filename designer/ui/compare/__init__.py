"""The Compare page: overlaid curves, metrics, settings that differ and accuracy vs latency."""

from __future__ import annotations

from designer.ui.compare.page import ComparePage

__all__ = ["ComparePage"]
