"""GUI-thread cost of the live training plots: a synthetic run replayed into the real widgets.

The Train page's plots (`TrainingPlots`) and progress bar (`RunProgress`) are put in a window at
the dashboard's size and fed a run's events on the GUI thread at a fixed rate (batches of
iterations every 20 ms, a validation point and an epoch mark every --epoch iterations), with no
training beside them, so what is measured is the plots' own work: how often the views move (each
move regenerates the axes' ticks, labels and grid), how long each plot's paint takes, the
event-loop gaps a 5 ms probe sees, and the end of the run (`finish_run` + `on_done`: what the
handler itself costs and what the next frame costs). Run it against another checkout with
`PYTHONPATH=<checkout> python bench/plot_redraw.py` to compare.

    python bench/plot_redraw.py [--iterations 6000] [--rate 500] [--busy] [--repeats 3]
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg
from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

import designer
from designer.training.events import (
    FinishedEvent,
    IterationEvent,
    StartEvent,
    ValidationEvent,
)
from designer.ui.training.plots import TrainingPlots
from designer.ui.training.progress import RunProgress

BATCH_MS = 20
PROBE_MS = 5
#: the issue's event-loop target (issue 13): no gap over 50 ms
TARGET_WORST_MS = 50.0


class Timed:
    """Wall time spent inside one method of a class (patched in this process only)."""

    def __init__(self, owner: type, name: str) -> None:
        self.calls: list[float] = []
        original = getattr(owner, name)
        calls = self.calls

        def timed(this: object, *args: object) -> object:
            began = time.perf_counter()
            try:
                return original(this, *args)
            finally:
                calls.append((time.perf_counter() - began) * 1000)

        setattr(owner, name, timed)


def one_run(app: QApplication, iterations: int, rate: int, epoch: int) -> dict[str, float]:
    """Replay one run; returns its figures."""
    paint = Timed(pg.GraphicsView, "paintEvent")
    window = QWidget()
    layout = QVBoxLayout(window)
    progress, plots = RunProgress(), TrainingPlots()
    layout.addWidget(progress)
    layout.addWidget(plots, 1)
    window.resize(1000, 620)  # the plot area of the Train page at 1500x920
    window.show()
    app.processEvents()
    moves = [0]
    for plot in plots.plots.values():
        plot.getPlotItem().getViewBox().sigRangeChanged.connect(
            lambda *_a: moves.__setitem__(0, moves[0] + 1))
    ticks: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    per_batch = max(1, rate * BATCH_MS // 1000)
    state = {"i": 0}
    progress.on_start(StartEvent(epochs=math.ceil(iterations / epoch), total_iterations=iterations,
                                 iterations_per_epoch=epoch,
                                 device="cpu", precision="fp32", channels_last=False,
                                 feature_cache="off", trainable_parameters=1000,
                                 start_iteration=0))
    plots.clear()
    plots.start_run(iterations)
    feed = QTimer()
    feed.setTimerType(Qt.TimerType.PreciseTimer)
    feed.setInterval(BATCH_MS)

    def batch() -> None:
        first = state["i"] + 1
        last = min(iterations, state["i"] + per_batch)
        events = [IterationEvent(epoch=1 + (i - 1) // epoch, iteration=i,
                                 total_iterations=iterations,
                                 loss=2.3 * math.exp(-i / (iterations / 3)) + 0.2 * math.sin(i),
                                 accuracy=min(1.0, i / iterations + 0.1 * math.cos(i) ** 2),
                                 lr=1e-3 * 0.5 * (1 + math.cos(math.pi * i / iterations)),
                                 images_per_second=500.0, elapsed=i / rate,
                                 eta_seconds=(iterations - i) / rate)
                  for i in range(first, last + 1)]
        plots.add_iterations(events)
        progress.on_iteration(events[-1])
        for i in range(first, last + 1):
            if i % epoch == 0:
                plots.add_validation(ValidationEvent(
                    iteration=i, epoch=i // epoch, train_loss=1.0, train_acc=0.5,
                    val_loss=2.0 * math.exp(-i / (iterations / 3)),
                    val_acc=min(1.0, i / iterations), is_best=True))
                plots.mark_epoch(i)
        state["i"] = last
        if last >= iterations:
            feed.stop()
            QTimer.singleShot(300, loop.quit)  # let the last redraw land

    feed.timeout.connect(batch)
    loop = QEventLoop()  # not app.exec(): quitting the application closes its windows
    probe.start(PROBE_MS)
    cpu = time.process_time()
    feed.start()
    loop.exec()
    cpu = time.process_time() - cpu
    training_ticks = list(ticks)
    frames = len(paint.calls)
    running_paint = list(paint.calls)
    moves_running = moves[0]
    # the end of the run as the dashboard sees it: the engine ends (the bar turns into a busy
    # "Evaluating" bar), the evaluation runs, then the finish handlers; timed: the handlers
    # themselves (what they paint synchronously included), then the frames after them
    progress.on_engine_finished(FinishedEvent(
        reason="completed", message="", best_val_acc=None, best_iteration=None,
        iterations=iterations, epochs_completed=iterations // epoch, elapsed=iterations / rate,
        weights_kept="last"))
    QTimer.singleShot(300, loop.quit)
    loop.exec()
    before, finish_from = len(paint.calls), len(ticks) - 1
    began = time.perf_counter()
    plots.finish_run()
    progress.on_done("Completed", iterations)
    finish_handler = (time.perf_counter() - began) * 1000
    handler_paints = len(paint.calls) - before
    after = len(paint.calls)
    QTimer.singleShot(300, loop.quit)
    loop.exec()
    probe.stop()
    finish_frame = max(paint.calls[after:], default=0.0)
    finish_ticks = ticks[finish_from:]
    finish_gap = max(((b - a) * 1000 for a, b in itertools.pairwise(finish_ticks)), default=0.0)
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(training_ticks))
    window.close()
    window.deleteLater()
    app.processEvents()
    return {"frames": frames, "moves": moves_running,
            "paint_mean": statistics.mean(running_paint) if running_paint else 0.0,
            "paint_max": max(running_paint, default=0.0),
            "worst_gap": gaps[-1] if gaps else 0.0,
            "p99_gap": gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))] if gaps else 0.0,
            "finish_handler": finish_handler, "handler_paints": handler_paints,
            "finish_frame": finish_frame, "finish_gap": finish_gap, "seconds": iterations / rate,
            "cpu_ms_per_s": cpu * 1000 / (iterations / rate)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--iterations", type=int, default=6000)
    parser.add_argument("--rate", type=int, default=500, help="iterations per second")
    parser.add_argument("--epoch", type=int, default=600, help="iterations per epoch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    args = parser.parse_args()
    if min(args.iterations, args.rate, args.epoch, args.repeats) < 1:
        parser.error("--iterations, --rate, --epoch and --repeats must be positive")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    with cpu_hog(args.busy):
        runs = [one_run(app, args.iterations, args.rate, args.epoch) for _ in range(args.repeats)]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    where = os.path.dirname(os.path.dirname(designer.__file__))
    print(f"plots of {where}, {load_label(args.busy)}, load average {os.getloadavg()[0]:.1f}; "
          f"{args.iterations} iterations at {args.rate}/s, median of {args.repeats}:")
    print(f"  view moves while training   {med('moves'):.0f} "
          f"({med('moves') / med('seconds'):.1f}/s; each regenerates the axes)")
    print(f"  plot paints                 {med('frames'):.0f}, mean {med('paint_mean'):.1f} ms, "
          f"max {med('paint_max'):.1f} ms")
    print(f"  GUI-thread CPU              {med('cpu_ms_per_s'):.0f} ms per second of run "
          "(events, redraws and paints; the least load-dependent figure)")
    print(f"  finish handlers             {med('finish_handler'):.1f} ms "
          f"({med('handler_paints'):.0f} plot paints inside them), longest plot paint after "
          f"them {med('finish_frame'):.1f} ms, worst event-loop gap {med('finish_gap'):.1f} ms")
    worst = max(med("worst_gap"), med("finish_gap"))
    print(f"plot redraw: worst event-loop gap {worst:.1f} ms while training, p99 "
          f"{med('p99_gap'):.1f} ms, at the finish {med('finish_gap'):.1f} ms; "
          f"{med('moves'):.0f} view moves, paint mean {med('paint_mean'):.1f} ms, GUI CPU "
          f"{med('cpu_ms_per_s'):.0f} ms/s "
          f"({load_label(args.busy)}; target: worst <= {TARGET_WORST_MS:g} ms)"
          f"{'' if worst <= TARGET_WORST_MS else '  MISSED'}")


if __name__ == "__main__":
    main()
