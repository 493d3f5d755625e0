"""Start-up time: `netdesigner` launched -> main window painted, cold (a new process each time).

Each repeat starts a fresh Python process the way the console script does (`designer.cli.run`)
under a thin driver that timestamps, from outside the product (monkeypatched in the driver;
the product carries no bench code):
  imports    the interpreter is up and `designer.cli` is imported
  window     the main window's first paint (what "the app has started" looks like)
  graph      the start model's graph is drawn on the canvas (from the graph cache or the
             meta-device preview, before its weights exist; = model where there is none)
  model      the bundled start model is opened (its design, editable) and drawn
Times are seconds since the parent called Popen (interpreter start included). The child gets an
empty config folder (no recent projects, no saved layout) and renders offscreen unless a display
is set with --display. Prints per-stage medians over --repeats, which heavy libraries were
already loaded at the first paint, and one line `start -> window shown: median X s (target <= 2 s)`.

Bytecode: an installed app has its modules compiled (pip and PyInstaller write .pyc files), so the
starts read compiled bytecode from a private cache folder (PYTHONPYCACHEPREFIX) that one untimed
warm-up start fills; `--no-bytecode` instead compiles every module on every start, as a source
checkout under PYTHONDONTWRITEBYTECODE=1 does. `--compare DIR` starts another checkout of the
app (e.g. an export of main) in turns with this one, so load changes hit both alike, and prints
both figures and their ratio. `--window-only` ends each start at the first paint.
`--no-graph-cache` draws no graph kept by an earlier open (a first start ever; the untimed
warm-up start otherwise fills that cache).

    python bench/startup.py [--repeats 5] [--busy] [--display :N] [--compare DIR]
                            [--window-only] [--no-bytecode] [--no-graph-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script

TARGET_S = 2.0

#: runs the GUI entry point with stamps at the first paint of the main window and when the start
#: model is drawn; writes them to $STAMPS as JSON and ends the process at once
DRIVER = r'''
import json, os, sys, time
stamps = {"python": time.time()}
import designer.cli
stamps["imports"] = time.time()
HEAVY = ("torch", "torchvision", "timm", "numpy", "networkx", "pyqtgraph", "PIL", "scipy")
def finish():
    stamps["model"] = time.time()
    with open(os.environ["STAMPS"], "w") as out:
        json.dump(stamps, out)
    os._exit(0)
def watch(window):
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget
    from designer.ui.project_controller import HeadlessPrompts
    window.projects.prompts = HeadlessPrompts(None)
    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if (event.type() == QEvent.Type.Paint and "window" not in stamps
                    and isinstance(obj, QWidget) and obj.window() is window):
                stamps["window"] = time.time()
                stamps["heavy_at_paint"] = [name for name in HEAVY if name in sys.modules]
                if os.environ.get("WINDOW_ONLY"):
                    QTimer.singleShot(0, finish)
            return False
    window._bench_filter = FirstPaint()
    QApplication.instance().installEventFilter(window._bench_filter)
    def opened(ok):
        window.canvas.grab()  # the canvas drawn with the model
        finish() if ok else os._exit(3)
    window.session.open_finished.connect(opened)
    def drawn(*_args):
        if "graph" not in stamps:
            window.canvas.grab()
            stamps["graph"] = time.time()
    if hasattr(window.session, "preview_changed"):
        window.session.preview_changed.connect(lambda n: drawn() if n is not None else None)
    window.session.design_replaced.connect(drawn)
    QTimer.singleShot(120_000, lambda: os._exit(4))
import designer.ui.main_window as mw
if os.environ.get("NO_GRAPH_CACHE"):
    import designer.ui.zoo.opening as zoo_opening
    zoo_opening.cached_graph = lambda name: None
shown = mw.MainWindow.show
def show(self):
    watch(self)
    shown(self)
mw.MainWindow.show = show
designer.cli.run([])
'''


def one_start(env: dict[str, str]) -> dict[str, Any]:
    """Seconds since launch of each stamp (and what was loaded at the paint), for one fresh
    process."""
    with tempfile.TemporaryDirectory() as tmp:
        stamps_file = Path(tmp) / "stamps.json"
        start_env = {**env, "STAMPS": str(stamps_file), "XDG_CONFIG_HOME": tmp,
                     "HOME": os.environ.get("HOME", tmp)}
        started = time.time()
        done = subprocess.run([sys.executable, "-c", DRIVER], env=start_env, check=False, cwd=tmp,
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0 or not stamps_file.exists():
            raise SystemExit(f"the app did not start (exit {done.returncode}):\n"
                             f"{done.stderr[-2000:]}")
        stamps = json.loads(stamps_file.read_text(encoding="utf-8"))
    heavy = stamps.pop("heavy_at_paint")
    return {**{name: at - started for name, at in stamps.items()}, "heavy": heavy}


def child_env(args: argparse.Namespace, app_root: Path, pycache: Path | None) -> dict[str, str]:
    """The environment one start of the checkout at `app_root` runs in."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(app_root), *filter(None, [env.get("PYTHONPATH")])])
    if args.display:
        env.update(DISPLAY=args.display, QT_QPA_PLATFORM="xcb")
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    if pycache is not None:  # compiled once (warm-up), read by every timed start
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache / app_root.name)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if args.window_only:
        env["WINDOW_ONLY"] = "1"
    if args.no_graph_cache:
        env["NO_GRAPH_CACHE"] = "1"
    return env


def summary(title: str, runs: list[dict[str, Any]], window_only: bool) -> float:
    """Print the per-stage medians of `runs`; return the window's median."""
    print(f"{title}, median of {len(runs)} (min-max):")
    stages = [("python", "interpreter up"), ("imports", "designer.cli imported"),
              ("window", "main window painted")]
    if not window_only:
        stages += [("graph", "start model graph drawn"), ("model", "start model opened")]
    for stage, label in stages:
        values = [r[stage] for r in runs]
        print(f"  {label:<24}{statistics.median(values):>7.2f} s  "
              f"({min(values):.2f}-{max(values):.2f})")
    heavy = sorted({name for r in runs for name in r["heavy"]})
    print(f"  loaded at first paint   {', '.join(heavy) or 'none of the heavy libraries'}")
    return statistics.median(r["window"] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    parser.add_argument("--display", default=None, help="an X display (default: offscreen)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout of the app, started in turns with this one")
    parser.add_argument("--window-only", action="store_true", help="stop at the first paint")
    parser.add_argument("--no-graph-cache", action="store_true",
                        help="draw no graph an earlier open kept (a first start ever)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="compile every module on every start (a source checkout)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    roots = {"this": Path(__file__).resolve().parent.parent}
    if args.compare is not None:
        if not (args.compare / "designer" / "__init__.py").is_file():
            parser.error(f"--compare {args.compare}: no designer package there")
        roots = {"compared": args.compare.resolve(), **roots}
    with tempfile.TemporaryDirectory() as pycache_dir:
        pycache = None if args.no_bytecode else Path(pycache_dir)
        envs = {name: child_env(args, root, pycache) for name, root in roots.items()}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in roots}
        if pycache is not None:
            for env in envs.values():  # untimed: fills the bytecode cache
                one_start({**env, "WINDOW_ONLY": "1"})
        with cpu_hog(args.busy):
            for _ in range(args.repeats):
                for name, env in envs.items():  # in turns
                    runs[name].append(one_start(env))
    mode = "no bytecode" if args.no_bytecode else "bytecode cached"
    platform = "xcb" if args.display else "offscreen"
    windows = {name: summary(f"start-up of {roots[name]}, {load_label(args.busy)}, {platform}, "
                                   f"{mode}", runs[name], args.window_only)
               for name in roots}
    window = windows["this"]
    versus = ""
    if "compared" in windows:
        versus = (f"; {roots['compared'].name}: {windows['compared']:.2f} s, "
                  f"{windows['compared'] / window:.2f}x faster")
    print(f"start -> window shown: median {window:.2f} s{versus} "
          f"({load_label(args.busy)}, {mode}; target <= {TARGET_S:g} s)"
          f"{'' if window <= TARGET_S else '  MISSED'}")


if __name__ == "__main__":
    main()
