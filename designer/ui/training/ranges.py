"""View ranges the training plots set themselves, instead of pyqtgraph's auto-range.

With auto-range on, every new point makes pyqtgraph re-measure every curve when it next paints
and move the view a little, and every move regenerates the axes' ticks, labels and grid (and
may re-lay out the plot when a label's width changes): under load that was most of a redraw.
Here the range is computed from the series' running bounds (no pass over the data) and, while a
run trains, grows in steps with headroom, so it changes a handful of times in a run instead of
at every redraw. Once the run ends (or a saved run is shown) it fits the data, as auto-range
would. A plot the user has zoomed or panned is left alone until the next run, or until its
"A" button (auto-range) asks for the fit again.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

Range = tuple[float, float]

#: room around the data when a range fits it (fraction of the span, each side)
PAD = 0.03
#: extra room while a run trains, on the side the data ran out of (fraction of the span)
HEADROOM = 0.2
#: a range that has to grow becomes at least this many times wider (slowly creeping data,
#: such as a decaying learning rate, moves the view a few times, not at every redraw)
GROWTH = 1.5
#: while growing, a range is at least this fraction of the data's magnitude wide (a nearly flat
#: start, such as the first batches' learning rate, would otherwise start a tiny range)
MIN_SPAN = 0.1


def fitted(low: float, high: float, pad: float = PAD) -> Range:
    """`low`..`high` with `pad` of the span on each side (a single value gets a unit-ish span)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise ValueError(f"not a range: {low}..{high}")
    span = high - low
    if span <= 0:
        span = abs(high) or 1.0
    return low - pad * span, high + pad * span


def grown(current: Range | None, low: float, high: float) -> Range | None:
    """None while `low`..`high` fits inside `current`; otherwise a range around the data with
    `HEADROOM` on the side(s) it overflowed, at least `GROWTH` times as wide as `current`
    (never below zero for data that is not)."""
    if current is not None and current[0] <= low and high <= current[1]:
        return None
    new_low, new_high = fitted(low, high)
    floor = MIN_SPAN * max(abs(low), abs(high))
    if new_high - new_low < floor:
        middle = (new_low + new_high) / 2
        new_low, new_high = middle - floor / 2, middle + floor / 2
    span = new_high - new_low
    below = current is None or low < current[0]
    above = current is None or high > current[1]
    extra = HEADROOM * span
    if current is not None:
        extra = max(extra, (GROWTH * (current[1] - current[0]) - span) / (below + above))
    if below:
        new_low -= extra
        if low >= 0:
            new_low = max(new_low, -PAD * span)
    if above:
        new_high += extra
    return new_low, new_high


class RangeKeeper:
    """Owns one plot's view range (auto-range off) and sets it only when it must change."""

    def __init__(self, item: pg.PlotItem, fixed_y: Range | None = None) -> None:
        self.view: pg.ViewBox = item.getViewBox()
        self.fixed_y = fixed_y
        #: how many times this moved the view (each move regenerates the axes)
        self.changes = 0
        self._follow = True
        self._x: Range | None = None
        self._y: Range | None = None
        self.view.disableAutoRange()
        if fixed_y is not None:  # before any data too: an empty accuracy plot said 0-0.8
            self.view.setYRange(*fixed_y, padding=0)
        self.view.sigRangeChangedManually.connect(self._user_moved)

    def reset(self) -> None:
        """A new run or history: follow the data again and fit it on the next `keep`."""
        self._follow = True
        self._x = self._y = None

    def keep(self, x: Range | None, y: Range | None, grow: bool) -> bool:
        """Show `x` (the wanted x range) and the data's y bounds `y` (view units): grown in steps
        when `grow` (a run is training), fitted otherwise; None: no data. True when the view
        moved (its axes are drawn again)."""
        if any(self.view.autoRangeEnabled()):  # the user pressed "A": fit, and follow again
            self.view.disableAutoRange()
            self.reset()
        if not self._follow or x is None:
            return False
        if self.fixed_y is not None:
            new_y: Range | None = self.fixed_y if self._y is None else None
        elif y is None:
            new_y = None
        elif grow:
            new_y = grown(self._y, *y)
        else:
            new_y = fitted(*y) if self._y != fitted(*y) else None
        new_x = x if x != self._x else None
        if new_x is None and new_y is None:
            return False
        self._x = new_x or self._x
        self._y = new_y or self._y
        self.changes += 1
        self.view.setRange(xRange=self._x, yRange=self._y, padding=0)
        return True

    def _user_moved(self, *_args: object) -> None:
        self._follow = False
