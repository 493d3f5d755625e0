"""One way to measure latency, shared by exports and every report in ``designer.compress``.

Several callables are timed interleaved (a, b, a, b, …) so a machine that gets busier half-way
through slows both alike; each gets warm-up calls first and the median of the repeats is kept.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Latency:
    """Median and spread of one callable's repeats, in milliseconds."""

    median_ms: float
    p90_ms: float
    repeats: int


def measure(calls: Mapping[str, Callable[[], object]], *, warmup: int = 3, repeats: int = 20,
            cancel: Cancel | None = None) -> dict[str, Latency]:
    """Time every callable `repeats` times, interleaved, after `warmup` untimed calls each."""
    if warmup < 0 or repeats < 1:
        raise ValueError(f"warmup must be >= 0 and repeats >= 1, got {warmup} and {repeats}")
    if not calls:
        raise ValueError("nothing to time: pass at least one callable")
    for fn in calls.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        if cancel is not None and cancel():
            break
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000.0)
    return {name: _summary(values) for name, values in times.items() if values}


def _summary(values: list[float]) -> Latency:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Latency(statistics.median(ordered), p90, len(ordered))
