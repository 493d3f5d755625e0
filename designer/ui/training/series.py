"""Growable numpy buffers for plot curves: appending is amortised O(1), reading is a view.

Long runs reach hundreds of thousands of iterations; rebuilding arrays from Python lists at every
redraw would cost more than the redraw itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray


class Series:
    """(x, y) points in the order they arrived, with running bounds of the finite y values (the
    plots' view ranges need no pass over the data) and a `version` that changes with the data."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._size = 0
        self.version = 0
        self.clear()

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        """Forget every point (keeps the memory)."""
        self._size = 0
        self.version += 1
        #: smallest and largest finite y, smallest positive y (for a log axis); inf when none
        self.y_low = self.y_positive = math.inf
        self.y_high = -math.inf

    def extend(self, xs: Iterable[float], ys: Iterable[float]) -> None:
        """Append points (same number of xs and ys)."""
        x = np.fromiter(xs, dtype=np.float64)
        y = np.fromiter(ys, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"{len(x)} x values for {len(y)} y values")
        end = self._size + len(x)
        if end > len(self._x):
            capacity = max(end, 2 * len(self._x))
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self._size:end] = x
        self._y[self._size:end] = y
        self._size = end
        self.version += 1
        finite = y[np.isfinite(y)]
        if len(finite):
            self.y_low = min(self.y_low, float(finite.min()))
            self.y_high = max(self.y_high, float(finite.max()))
            positive = finite[finite > 0]
            if len(positive):
                self.y_positive = min(self.y_positive, float(positive.min()))

    @property
    def x(self) -> NDArray[np.float64]:
        return self._x[: self._size]

    @property
    def y(self) -> NDArray[np.float64]:
        return self._y[: self._size]


class Smoother:
    """Debiased exponential moving average (TensorBoard's smoothing), fed one value at a time.

    Debiasing keeps the first points honest (a plain EMA starts at 0 and creeps up); non-finite
    values are passed through without poisoning the average.
    """

    def __init__(self, weight: float = 0.9) -> None:
        self.weight = weight
        self._last = 0.0
        self._steps = 0

    def reset(self) -> None:
        self._last, self._steps = 0.0, 0

    def __call__(self, value: float) -> float:
        if not np.isfinite(value):
            return value
        self._steps += 1
        self._last = self._last * self.weight + (1 - self.weight) * value
        return self._last / (1 - self.weight**self._steps)
