"""What the bubble chart plots, computed without Qt: positions, estimates and bubble sizes.

A model not measured yet is still placed, at a latency estimated from its GFLOPs with the
ms-per-GFLOP ratio of the models measured on this machine (or a typical CPU figure before
any is measured); the chart draws those hollow so nobody mistakes them for measurements.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from designer.zoo.entry import ZooEntry

#: ms per GFLOP (multiply-add) before anything was measured: a typical 2-4 core laptop CPU
DEFAULT_MS_PER_GFLOP = 15.0
MIN_DIAMETER_PX = 5.0
MAX_DIAMETER_PX = 70.0
PX_PER_SQRT_MB = 2.2


@dataclass(frozen=True)
class ChartPoint:
    """One bubble: a model at (latency, top-1) sized by its weights file."""

    name: str
    label: str
    latency_ms: float
    top1: float
    size_mb: float
    estimated: bool
    family: str = ""

    @property
    def diameter_px(self) -> float:
        """Bubble diameter: area proportional to file size (clamped to stay readable)."""
        diameter = PX_PER_SQRT_MB * math.sqrt(max(self.size_mb, 0.0))
        return min(max(diameter, MIN_DIAMETER_PX), MAX_DIAMETER_PX)


def ms_per_gflop(entries: Iterable[ZooEntry], latency: Callable[[str], float | None]) -> float:
    """Median measured ms per GFLOP (the machine's speed), or the default."""
    ratios = [ms / e.gflops for e in entries
              if e.gflops and (ms := latency(e.name)) is not None and ms > 0]
    return statistics.median(ratios) if ratios else DEFAULT_MS_PER_GFLOP


def chart_points(entries: Iterable[ZooEntry], latency: Callable[[str], float | None],
                 all_entries: Iterable[ZooEntry] | None = None) -> tuple[list[ChartPoint], int]:
    """Points for ``entries`` and how many could not be plotted (no top-1 or no GFLOPs).

    ``all_entries`` (default: ``entries``) calibrate the estimate, so filtering the table
    does not move the estimated bubbles.
    """
    shown = list(entries)
    ratio = ms_per_gflop(shown if all_entries is None else all_entries, latency)
    points: list[ChartPoint] = []
    skipped = 0
    for entry in shown:
        measured = latency(entry.name)
        if entry.acc1 is None or (measured is None and not entry.gflops):
            skipped += 1
            continue
        ms = measured if measured is not None else ratio * (entry.gflops or 0.0)
        points.append(ChartPoint(entry.name, entry.display_name, ms, entry.acc1,
                                 weights_mb(entry), measured is None, entry.family))
    return points, skipped


def weights_mb(entry: ZooEntry) -> float:
    """The weights file's size, or its fp32 size (4 bytes per parameter) where the file's
    size is not published (timm), so bubbles stay comparable."""
    if entry.file_size_mb:
        return entry.file_size_mb
    return (entry.num_params or 0) * 4 / 2**20
