"""GUI-thread work beside a Python-heavy background task, at two GIL switch intervals.

While a worker thread runs Python (a model's analysis, a trace, the zoo listing), every call
the GUI thread makes into Qt releases the GIL and must wait to get it back: up to the switch
interval (Python's default 5 ms) each time. The zoo chart's first fill renders ~100 bubble
symbols (one QPainter call each) and took 0.2-0.6 s at start-up that way while the start
model was being analysed. This times that fill (`ZooChart.set_points` with the whole zoo,
then a paint) alone and beside a thread analysing maxvit_t, with the interval at 5 ms and at
the app's (`designer.app.GIL_SWITCH_S`), in alternating rounds, and prints the medians.

Run: QT_QPA_PLATFORM=offscreen python bench/gil_switch.py [--rounds 5] [--busy]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time

from busy import cpu_hog  # bench/ is on sys.path when run as a script
from PySide6.QtWidgets import QApplication

from designer.app import GIL_SWITCH_S
from designer.surgery.opening import open_model
from designer.ui.zoo.chart import ZooChart
from designer.ui.zoo.chart_points import chart_points
from designer.zoo.registry import list_entries

TARGET_MS = 50


def fill_ms(app: QApplication, points: list, skipped: int, background: bool) -> float:
    """One fresh chart filled and painted; optionally beside a thread analysing maxvit_t."""
    stop = threading.Event()

    def analyse() -> None:
        design = open_model("maxvit_t", "none", analyse=False)
        while not stop.is_set():
            design.analyze()

    worker = threading.Thread(target=analyse, daemon=True)
    if background:
        worker.start()
        time.sleep(2.0)  # past the module build: the analysis (Python) is running
    chart = ZooChart()
    chart.resize(370, 300)
    chart.show()
    app.processEvents()
    start = time.perf_counter()
    chart.set_points(points, skipped)
    chart.repaint()
    app.processEvents()
    elapsed = (time.perf_counter() - start) * 1000
    stop.set()
    if background:
        worker.join()
    chart.close()
    chart.deleteLater()
    app.processEvents()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    entries = list_entries()
    points, skipped = chart_points(entries, lambda _name: None, entries)
    intervals = (0.005, GIL_SWITCH_S)
    times: dict[tuple[float, bool], list[float]] = {(s, b): [] for s in intervals
                                                    for b in (False, True)}
    with cpu_hog(args.busy):
        fill_ms(app, points, skipped, False)  # warm: imports, first symbol atlas
        for _ in range(args.rounds):
            for switch in intervals:
                sys.setswitchinterval(switch)
                for background in (False, True):
                    times[switch, background].append(fill_ms(app, points, skipped, background))
    load = "beside a CPU-bound process" if args.busy else "quiet"
    for switch in intervals:
        alone = statistics.median(times[switch, False])
        beside = statistics.median(times[switch, True])
        print(f"switch interval {switch * 1000:g} ms: zoo chart fill alone {alone:.0f} ms, "
              f"beside an analysis thread {beside:.0f} ms (median of {args.rounds}, {load}; "
              f"target <= {TARGET_MS} ms)")
    ratio = statistics.median(times[0.005, True]) / statistics.median(times[GIL_SWITCH_S, True])
    print(f"beside an analysis thread: {GIL_SWITCH_S * 1000:g} ms interval fills {ratio:.2f}x "
          "as fast as 5 ms")


if __name__ == "__main__":
    main()
