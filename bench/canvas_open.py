"""Click-to-drawn time of the canvas and the worst event-loop stall while a model opens.

Per model (offscreen, 1200×900 canvas) it prints:
  canvas     the canvas's own work: scene built from the design + first paint of the opening
             view (median of 3)
  shown      design available -> `DesignSession.set_design` -> drawn (what the user waits for
             once the import is done; includes the session's GUI-thread work), and its worst stall
  e2e        "Open" clicked -> the graph drawn, as the model browser opens (the session's
             background open with a preview: the graph the model had at its last open, from
             the graph cache, with --graph-cache; for a bundled model, the graph shipped with
             the app, unless --no-shipped; else traced on the meta device; else, where
             neither can be made, the real design) -> drawn
  editable   "Open" clicked -> the real design (weights built, traced) replaces the drawing
  analysed   "Open" clicked -> the background analysis's shapes on the canvas (draw first,
             analyse after), and the worst stall of the GUI thread from the click until then
  flat       "Expand all" clicked -> every layer in the scene -> the view painted as it stands
             (the scene may build in steps between events), and the worst stall meanwhile
  fit        then F: fit the whole flat graph + paint, and its stall
  gc         the longest garbage collection seen during the e2e open (a gen-2 collection
             holds the GIL, so one on the worker thread stalls the GUI too)

Stalls come from a 5 ms QTimer probe on the GUI thread (the longest gap between its ticks); the
"GUI-thread CPU" figure beside a stall is the most CPU time the GUI thread spent between two
ticks, the app's own share of a stall on a loaded machine.
Targets (issues 4, 13): resnet50 ≤ 0.3 s, maxvit_t ≤ 0.75 s, first open ≤ 1 s, stall ≤ 50 ms.
The first row, the bundled EfficientNet-Lite0 that the app opens at start-up, pays the
process's one-off costs (first trace imports timm and fx helpers) as the app's first open does.
`--freeze-gc` calls gc.freeze() after the imports, as the app does at start-up; `--busy` runs a
second CPU-bound process meanwhile (bench/busy.py); `--profile` samples the GUI thread's stack
(ui_latency.py's sampler) and prints, for each gap over 40 ms of the open, where it was.
The GIL switch interval is the app's (1 ms), or Python's 5 ms with `--python-switch`.
`--warm` first imports what the app imports in the background after its first paint
(torchvision, timm, the zoo's list), so the first row is a click after start-up has settled;
without it the first row is a click in a process that has only torch loaded (the app's own
first open, of its start model, is timed by bench/startup.py).

Run: QT_QPA_PLATFORM=offscreen python bench/canvas_open.py [--freeze-gc] [--busy] [--profile]
     [--warm] [--graph-cache] [--no-shipped] [--python-switch] [model ...]
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch
from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from designer.app import GIL_SWITCH_S
from designer.core.network import NetworkState
from designer.surgery.design import Design
from designer.ui.canvas import NetworkCanvas
from designer.ui.session import DesignSession
from designer.ui.zoo import opening as zoo_opening


class StallProbe:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks is the worst stall.

    `cpu_worst` is the most CPU time the GUI thread itself spent between two ticks: on a
    machine shared with other jobs a gap also grows while the process waits for a core, so
    this is the part of a stall that is the app's own work (load-independent)."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = self.last_cpu = 0.0
        self.worst = self.cpu_worst = 0.0
        self.ticks: list[tuple[float, float]] = []  # (time, GUI-thread CPU) of every tick

    def start(self) -> None:
        self.last, self.worst = time.perf_counter(), 0.0
        self.last_cpu, self.cpu_worst = time.thread_time(), 0.0
        self.ticks = []
        self.timer.start()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.ticks.append((now, cpu))
        self.worst = max(self.worst, now - self.last)
        self.cpu_worst = max(self.cpu_worst, cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def stop(self) -> float:
        self._tick()
        self.timer.stop()
        return self.worst


class GcWatch:
    """Longest garbage-collection pause (any thread) since the last reset."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._started: dict[int, float] = {}
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, _info: dict[str, Any]) -> None:
        me = threading.get_ident()
        if phase == "start":
            self._started[me] = time.perf_counter()
        elif me in self._started:
            self.worst = max(self.worst, time.perf_counter() - self._started.pop(me))


def spin(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def timed_on_loop(app: QApplication, probe: StallProbe, action: Callable[[], object],
                  then: Callable[[], object] | None = None,
                  ready: Callable[[], bool] = lambda: True) -> tuple[float, float]:
    """Run `action` from the event loop with the probe running, let the loop run until
    `ready()`, then run `then` from the loop: (duration until `then` returned, worst stall)."""
    done: list[float] = []
    started: list[float] = []

    def run() -> None:
        started.append(time.perf_counter())
        action()

    def finish() -> None:
        if then is not None:
            then()
        done.append(time.perf_counter() - started[0])

    probe.start()
    spin(app, 0.05)
    QTimer.singleShot(0, run)
    while not started or not ready():
        app.processEvents()
    QTimer.singleShot(0, finish)
    while not done:
        app.processEvents()
    spin(app, 0.05)
    return done[0], probe.stop()


def end_to_end(app: QApplication, canvas: NetworkCanvas, session: DesignSession, name: str,
               probe: StallProbe) -> tuple[float, float, float, float, str]:
    """'Open' clicked -> graph drawn -> real design -> analysed: (seconds to drawn, to the
    real design, to the analysis shown, worst stall from the click until the analysis is
    shown, what was drawn first)."""
    drawn: list[float] = []
    editable: list[float] = []
    analysed: list[float] = []
    source: list[str] = []

    def opener(progress: Callable[[float, str], None], cancel: Callable[[], bool],
               show: Callable[[NetworkState], None]) -> Design:
        weights = "bundled" if name.endswith("_bundled") else "none"

        def shown(graph: NetworkState) -> None:
            hit = CACHE_HITS.pop(name, None)
            source.append("meta" if hit is not graph else "shipped" if name in SHIPPED_HITS
                          else "cache")
            show(graph)
        return zoo_opening.open_model(name, weights, progress=progress, cancel=cancel,
                                      analyse=False, preview=shown)

    def on_preview(network: object) -> None:
        if network is not None and not drawn:
            canvas.grab()
            drawn.append(time.perf_counter())

    def on_replaced(_design: object) -> None:
        if not drawn:
            canvas.grab()
            drawn.append(time.perf_counter())
            source.append("design")
        editable.append(time.perf_counter())

    def on_analysis(_analysis: object) -> None:
        if drawn and not analysed:
            canvas.grab()
            analysed.append(time.perf_counter())

    session.preview_changed.connect(on_preview)
    session.design_replaced.connect(on_replaced)
    session.analysis_ready.connect(on_analysis)
    probe.start()
    spin(app, 0.05)
    start = time.perf_counter()
    session.open_with_preview(opener)
    while not analysed:
        app.processEvents()
        time.sleep(0.0005)
    spin(app, 0.05)
    stall = probe.stop()
    session.preview_changed.disconnect(on_preview)
    session.design_replaced.disconnect(on_replaced)
    session.analysis_ready.disconnect(on_analysis)
    return (drawn[0] - start, editable[0] - start, analysed[0] - start, stall,
            (source or ["design"])[0])


def settle(app: QApplication, session: DesignSession) -> None:
    """Let a background analysis started by the last step end before the next is timed."""
    while session.analysing:
        app.processEvents()
        time.sleep(0.001)
    spin(app, 0.05)


#: the graph each open found in the graph cache (to say what was drawn first)
CACHE_HITS: dict[str, NetworkState | None] = {}
#: the models whose first drawing came from the graphs shipped with the app (bundled ones)
SHIPPED_HITS: set[str] = set()
#: click -> drawn targets of issue 13 (the first row pays the process's one-off costs)
OPEN_TARGET_S = {"efficientnet_lite0_bundled": 1.0, "resnet50": 0.3, "maxvit_t": 0.75}
STALL_TARGET_MS = 50


def measure(app: QApplication, probe: StallProbe, watch: GcWatch, name: str,
            sampler: Any = None) -> tuple[str, str]:
    """One model's row, and its figures against the targets on one line."""
    session = DesignSession()
    canvas = NetworkCanvas(session)
    canvas.resize(1200, 900)
    canvas.show()
    spin(app, 0.1)
    watch.worst = 0.0
    e2e, e2e_editable, e2e_analysed, e2e_stall, drawn_from = end_to_end(app, canvas, session,
                                                                        name, probe)
    e2e_cpu = probe.cpu_worst
    if sampler is not None:
        print(f"{name}: gaps over 40 ms from the click until the analysis is shown")
        sampler.explain(probe.ticks)
    gc_pause = watch.worst
    design = session.design
    assert design is not None
    own = statistics.median(timed_on_loop(app, probe, lambda: (
        canvas.scene._on_design_replaced(design), canvas.grab()))[0] for _ in range(3))

    def show() -> None:
        design._invalidate()  # the state in which the import hands the design over
        session.set_design(design)
        canvas.grab()

    shown = []
    for _ in range(3):
        shown.append(timed_on_loop(app, probe, show))
        settle(app, session)
    nodes = len(canvas.scene.nodes)
    # "Expand all" clicked -> every item in the scene (built in steps where the scene can) ->
    # the view as it stands painted; then F (fit the whole flat graph) -> painted
    flat_s, flat_stall = timed_on_loop(app, probe, canvas.scene.expand_all, canvas.grab,
                                       lambda: not getattr(canvas.scene, "building", False))
    flat_cpu = probe.cpu_worst
    fit_s, fit_stall = timed_on_loop(app, probe, lambda: (canvas.view.fit(), canvas.grab()))
    row = (f"{name:<26} {nodes:>5} {own:>7.3f} {statistics.median(s for s, _ in shown):>7.3f} "
           f"{max(st for _, st in shown) * 1000:>6.0f} {e2e:>6.2f} {e2e_analysed:>6.2f} "
           f"{e2e_stall * 1000:>6.0f} "
           f"{len(canvas.scene.nodes):>5} {flat_s:>6.3f} {flat_stall * 1000:>6.0f} "
           f"{fit_s:>6.3f} {fit_stall * 1000:>6.0f} {gc_pause * 1000:>5.0f}")
    target = OPEN_TARGET_S.get(name)
    verdict = (f"{name}: click -> drawn {e2e:.2f} s (target <= {target:g} s)" if target
               else f"{name}: click -> drawn {e2e:.2f} s")
    verdict += (f" (drawn from: {drawn_from}), editable {e2e_editable:.2f} s, analysed "
                f"{e2e_analysed:.2f} s (in the background)")
    verdict += (f", open stall {e2e_stall * 1000:.0f} ms (GUI-thread CPU {e2e_cpu * 1000:.0f} "
                f"ms), expand-all stall {flat_stall * 1000:.0f} ms (GUI-thread CPU "
                f"{flat_cpu * 1000:.0f} ms) (target <= {STALL_TARGET_MS} ms)")
    session.shutdown()
    canvas.close()
    return row, verdict


def main(args: list[str]) -> None:
    torch.set_num_threads(1)
    freeze = "--freeze-gc" in args
    models = [a for a in args if not a.startswith("--")] or [
        "efficientnet_lite0_bundled", "resnet50", "maxvit_t"]
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    cached_graph = zoo_opening.cached_graph

    def cache(name: str) -> NetworkState | None:
        if "--graph-cache" not in args:  # a first open ever: nothing drawn from an earlier one
            return None
        graph = CACHE_HITS[name] = cached_graph(name)
        return graph

    zoo_opening.cached_graph = cache  # type: ignore[assignment]
    shipped_graph = zoo_opening.shipped_graph

    def shipped(name: str) -> NetworkState | None:
        if "--no-shipped" in args:  # a bundled model as if its graph were not shipped
            return None
        graph = CACHE_HITS[name] = shipped_graph(name)
        if graph is not None:
            SHIPPED_HITS.add(name)
        return graph

    zoo_opening.shipped_graph = shipped  # type: ignore[assignment]
    if "--warm" in args:  # what the app has imported once start-up has settled
        import timm  # noqa: F401
        import torchvision  # noqa: F401

        from designer.zoo.registry import list_entries
        list_entries()
    if freeze:
        gc.collect()
        gc.freeze()
    if "--python-switch" not in args:  # as the app sets it (designer.app.GIL_SWITCH_S)
        sys.setswitchinterval(GIL_SWITCH_S)
    probe, watch = StallProbe(), GcWatch()
    print(f"GIL switch interval {sys.getswitchinterval() * 1000:g} ms; "
          f"gc.freeze() after imports: {'yes' if freeze else 'no'}; graph cache: "
          f"{'yes' if '--graph-cache' in args else 'no'}; warm (torchvision, timm, zoo list "
          f"loaded first): {'yes' if '--warm' in args else 'no'}")
    print(f"{'':<26} {'':>5} {'canvas':>7} {'shown':>7} {'stall':>6} {'e2e':>6} {'anlsd':>6} "
          f"{'stall':>6} {'flat':>5} {'flat':>6} {'stall':>6} {'fit':>6} {'stall':>6} {'gc':>5}")
    print(f"{'model':<26} {'nodes':>5} {'s':>7} {'s':>7} {'ms':>6} {'s':>6} {'s':>6} {'ms':>6} "
          f"{'nodes':>5} {'s':>6} {'ms':>6} {'s':>6} {'ms':>6} {'ms':>5}")
    verdicts = []
    sampler = None
    if "--profile" in args:
        from ui_latency import GuiSampler  # bench/ is on sys.path when run as a script

        sampler = GuiSampler()
        sampler.start()
    with cpu_hog("--busy" in args):
        for name in models:
            row, verdict = measure(app, probe, watch, name, sampler)
            verdicts.append(verdict)
            print(row, flush=True)
    print(f"load: {load_label('--busy' in args)}")
    for verdict in verdicts:
        print(verdict)


if __name__ == "__main__":
    main(sys.argv[1:])
