"""What keeps the live plots cheap while a run trains (issue 13), asserted as structure, not time:
the views move a handful of times in a long run (not at every redraw) yet never leave a point
outside, pyqtgraph's per-paint auto-range stays off, curves get data only when their series
changed, the axes are not repainted while only the curves change, a zoomed plot is left alone,
and the progress bar never paints (and so never flushes the plots' repaint) inside setValue."""

from __future__ import annotations

import math

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFontMetricsF
from pytestqt.qtbot import QtBot

from designer.training.events import IterationEvent, ValidationEvent
from designer.ui.training.plots import CURVES, TrainingPlots
from designer.ui.training.progress import RunProgress
from designer.ui.training.ranges import fitted, grown

TOTAL = 6000
BATCH = 20  # iterations per delivery; the test redraws after every one (the worst case)
EPOCH = 600


def _iterations(first: int, last: int) -> list[IterationEvent]:
    return [IterationEvent(epoch=1 + (i - 1) // EPOCH, iteration=i, total_iterations=TOTAL,
                           loss=2.3 * math.exp(-i / 2000) + 0.2 * math.sin(i),
                           accuracy=min(1.0, i / TOTAL), lr=1e-3 * math.cos(i / TOTAL),
                           images_per_second=100.0, elapsed=0.0, eta_seconds=0.0)
            for i in range(first, last + 1)]


def _validation(i: int) -> ValidationEvent:
    return ValidationEvent(iteration=i, epoch=i // EPOCH, train_loss=1.0, train_acc=0.5,
                           val_loss=2.0 * math.exp(-i / 2000), val_acc=i / TOTAL, is_best=True)


@pytest.fixture
def plots(qtbot: QtBot) -> TrainingPlots:
    widget = TrainingPlots()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _inside(plots: TrainingPlots, name: str) -> bool:
    """Every point the plot's curves draw lies inside its view."""
    (x0, x1), (y0, y1) = plots.plots[name].getPlotItem().viewRange()
    drawn = [curve.getOriginalDataset() for key, curve in plots.curves.items()
             if CURVES[key][0] == name]
    drawn = [(x, y) for x, y in drawn if x is not None and len(x)]
    if not drawn:
        return True
    return (x0 <= min(float(x.min()) for x, _ in drawn) and max(float(x.max()) for x, _ in drawn)
            <= x1 and y0 <= min(float(y.min()) for _, y in drawn)
            and max(float(y.max()) for _, y in drawn) <= y1)


def _shows_everything(plots: TrainingPlots) -> bool:
    """The curves draw every point received so far."""
    given = {key: curve.getOriginalDataset()[0] for key, curve in plots.curves.items()}
    return all(len(x if x is not None else ()) == len(plots.series[key])
               for key, x in given.items())


def test_a_long_run_moves_the_views_a_handful_of_times_and_never_hides_a_point(
        qtbot: QtBot, plots: TrainingPlots) -> None:
    moves = dict.fromkeys(plots.plots, 0)
    for name, plot in plots.plots.items():
        plot.getPlotItem().getViewBox().sigRangeChanged.connect(
            lambda *_args, name=name: moves.__setitem__(name, moves[name] + 1))
    plots.clear()
    plots.start_run(TOTAL)
    redraws = staggered = 0
    for first in range(1, TOTAL + 1, BATCH):
        last = first + BATCH - 1
        plots.add_iterations(_iterations(first, last))
        if last % EPOCH == 0:
            plots.add_validation(_validation(last))
            plots.mark_epoch(last)
        moved = sum(moves.values())
        plots.refresh()
        redraws += 1
        assert sum(moves.values()) <= moved + 1, "at most one plot's axes move per frame"
        staggered += not plots.settled
        for name, plot in plots.plots.items():
            assert plot.getPlotItem().getViewBox().autoRangeEnabled() == [False, False]
            assert _inside(plots, name), f"{name} plot at iteration {last}"
        qtbot.waitUntil(lambda: plots.settled)  # the others follow, a frame apart
        assert _shows_everything(plots)
        assert all(_inside(plots, name) for name in plots.plots), f"at iteration {last}"
    assert redraws == 300 and staggered > 0
    assert all(count <= 25 for count in moves.values()), moves  # not one per redraw
    plots.finish_run()  # then the views fit the data, one plot per frame
    x_fit = fitted(1, TOTAL)
    for name, plot in plots.plots.items():
        qtbot.waitUntil(lambda plot=plot: plot.getPlotItem().viewRange()[0] == pytest.approx(
            list(x_fit)))
        assert _inside(plots, name)
    loss_y = plots.plots["loss"].getPlotItem().viewRange()[1]
    low = min(plots.series[k].y_low for k in ("loss", "loss_smoothed", "val_loss"))
    high = max(plots.series[k].y_high for k in ("loss", "loss_smoothed", "val_loss"))
    assert loss_y == pytest.approx(list(fitted(low, high)))  # no headroom left after the run


def test_curves_get_data_only_when_their_series_changed(plots: TrainingPlots,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    plots.clear()  # a run starts: every curve emptied
    given: list[str] = []
    for name, curve in plots.curves.items():
        real = curve.setData
        monkeypatch.setattr(curve, "setData",
                            lambda *a, name=name, real=real, **k: (given.append(name),
                                                                   real(*a, **k)))
    plots.start_run(TOTAL)
    for first in range(1, 201, BATCH):
        plots.add_iterations(_iterations(first, first + BATCH - 1))
        plots.refresh()
    assert given.count("loss") == 10 and "val_loss" not in given and "val_acc" not in given
    plots.refresh()  # nothing new: nothing given
    assert given.count("loss") == 10
    plots.add_validation(_validation(200))
    plots.refresh()
    assert given.count("val_loss") == 1 and given.count("loss") == 10


def test_the_axes_are_not_repainted_while_only_the_curves_change(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each axis draws its grid across the whole plot, so without a cache every new point
    replayed every grid line and tick label; cached, it is drawn again only when its range
    moves."""
    painted = {"axis": 0, "curve": 0}
    for kind, item in (("axis", pg.AxisItem), ("curve", pg.PlotCurveItem)):
        real = item.paint

        def counting(self: object, *args: object, kind: str = kind, real: object = real) -> None:
            painted[kind] += 1
            real(self, *args)  # type: ignore[operator]

        monkeypatch.setattr(item, "paint", counting)  # before the items exist (Qt caches it)
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(1000, 600)
    plots.show()
    plots.start_run(TOTAL)
    plots.add_iterations(_iterations(1, 1000))
    plots.refresh()
    qtbot.waitUntil(lambda: painted["axis"] > 0 and painted["curve"] > 0)  # first drawn
    qtbot.wait(50)
    before = dict(painted)
    for first in range(1001, 1201, BATCH):  # inside the views: no move
        plots.add_iterations(_iterations(first, first + BATCH - 1))
        plots.refresh()
        qtbot.wait(5)
    qtbot.waitUntil(lambda: painted["curve"] > before["curve"] + 10)  # the curves grew
    assert painted["axis"] == before["axis"]


def test_a_zoomed_plot_is_left_alone_until_auto_range_is_asked_for(
        qtbot: QtBot, plots: TrainingPlots) -> None:
    plots.start_run(TOTAL)
    plots.add_iterations(_iterations(1, 100))
    plots.refresh()
    qtbot.waitUntil(lambda: plots.settled)
    view = plots.plots["loss"].getPlotItem().getViewBox()
    view.setRange(xRange=(10, 20), yRange=(0.5, 1.0), padding=0)  # the user zooms in
    view.sigRangeChangedManually.emit([True, True])
    plots.add_iterations(_iterations(101, 3000))
    plots.refresh()
    qtbot.waitUntil(lambda: plots.settled)
    assert view.viewRange()[0] == pytest.approx([10, 20])  # still where the user put it
    assert _shows_everything(plots) and _inside(plots, "accuracy")  # the others follow
    plots.plots["loss"].getPlotItem().autoBtnClicked()  # the plot's "A" button
    plots.add_iterations(_iterations(3001, 3020))
    plots.refresh()
    qtbot.waitUntil(lambda: plots.settled)
    assert _inside(plots, "loss") and view.autoRangeEnabled() == [False, False]


def test_ranges_grow_with_headroom_and_fit_when_asked() -> None:
    assert grown((0.0, 10.0), 1.0, 9.0) is None  # fits: no move
    low, high = grown((0.0, 10.0), 1.0, 12.0) or (0, 0)
    assert low <= 1.0 and high > 12.0 + 0.1 * 11  # room to grow into
    low, _high = grown(None, 0.1, 2.3) or (0, 0)
    assert -0.1 < low < 0.1  # headroom never shows much below zero for data that is not
    assert fitted(5.0, 5.0)[0] < 5.0 < fitted(5.0, 5.0)[1]  # one value still gets a span
    with pytest.raises(ValueError, match="not a range"):
        fitted(2.0, 1.0)


class _Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_the_progress_bar_never_paints_inside_set_value(qtbot: QtBot) -> None:
    """QProgressBar.setValue repaints synchronously, and a synchronous repaint flushes every
    pending region of the window (the plots') inside the caller's handler."""
    progress = RunProgress()
    qtbot.addWidget(progress)
    progress.show()
    paints = _Paints()
    progress.bar.installEventFilter(paints)
    qtbot.waitUntil(lambda: paints.count > 0)  # on screen and painted once
    paints.count = 0
    progress.bar.setRange(0, 100)
    for value in (1, 50, 100):  # the bar visibly changes each time
        progress.bar.setValue(value)
        assert paints.count == 0 and progress.bar.value() == value
    qtbot.waitUntil(lambda: paints.count > 0)  # painted with the next frame instead
    assert progress.bar.updatesEnabled()


@pytest.mark.parametrize("height", [390, 600])
def test_the_short_learning_rate_plot_labels_do_not_overlap(qtbot: QtBot, height: int) -> None:
    """At 1366x768 the LR plot's axis is ~40 px tall: pyqtgraph put 0.0002 ... 0.001 there,
    five labels on top of each other; each label now has its own line and two are shown."""
    widget = TrainingPlots()
    qtbot.addWidget(widget)
    widget.resize(980, height)
    widget.show()
    qtbot.waitExposed(widget)
    widget.start_run(TOTAL)
    widget.add_iterations(_iterations(1, 200))
    widget.refresh()
    widget.finish_run()
    item = widget.plots["lr"].getPlotItem()
    qtbot.waitUntil(lambda: widget.settled, timeout=5_000)
    axis = item.getAxis("left")
    low, high = item.getViewBox().viewRange()[1]
    pixels = axis.size().height()
    ticks = [v for _spacing, values in axis.tickValues(low, high, pixels) for v in values
             if low <= v <= high]
    line = QFontMetricsF(axis.font()).height()  # one tick label's height
    assert len(ticks) >= 2, "the axis still says what the values are"
    assert (len(ticks) - 1) * line <= pixels, f"{len(ticks)} labels in {pixels:.0f} px overlap"


def test_an_empty_accuracy_plot_already_spans_0_to_100_percent(plots: TrainingPlots) -> None:
    low, high = plots.plots["accuracy"].getPlotItem().getViewBox().viewRange()[1]
    assert low <= 0 and 100 <= high < 120, f"accuracy axis {low:.2f}-{high:.2f} before a run"
