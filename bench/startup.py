"""Start-up time: `netdesigner` launched -> main window painted, cold (a new process each time).

Each repeat starts a fresh Python process the way the console script does (`designer.cli.run`)
under a thin driver that timestamps, from outside the product (monkeypatched in the driver;
the product carries no bench code):
  imports    the interpreter is up and `designer.cli` is imported
  window     the main window's first paint (what "the app has started" looks like)
  model      the bundled start model is opened and drawn on the canvas
Times are seconds since the parent called Popen (interpreter start included). The child gets an
empty config folder (no recent projects, no saved layout) and renders offscreen unless a display
is set with --display. Prints per-stage medians over --repeats and one line
`start -> window shown: median X s (target <= 2 s)`.

    python bench/startup.py [--repeats 5] [--busy] [--display :N]
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

from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script

TARGET_S = 2.0

#: runs the GUI entry point with stamps at the first paint of the main window and when the start
#: model is drawn; writes them to $STAMPS as JSON and ends the process at once
DRIVER = r'''
import json, os, time
stamps = {"python": time.time()}
import designer.cli
stamps["imports"] = time.time()
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
            return False
    window._bench_filter = FirstPaint()
    QApplication.instance().installEventFilter(window._bench_filter)
    def opened(ok):
        window.canvas.grab()  # the canvas drawn with the model
        finish() if ok else os._exit(3)
    window.session.open_finished.connect(opened)
    QTimer.singleShot(120_000, lambda: os._exit(4))
import designer.ui.main_window as mw
shown = mw.MainWindow.show
def show(self):
    watch(self)
    shown(self)
mw.MainWindow.show = show
designer.cli.run([])
'''


def one_start(env: dict[str, str]) -> dict[str, float]:
    """Seconds since launch of each stamp, for one fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        stamps_file = Path(tmp) / "stamps.json"
        child_env = {**env, "STAMPS": str(stamps_file), "XDG_CONFIG_HOME": tmp,
                     "HOME": os.environ.get("HOME", tmp)}
        started = time.time()
        done = subprocess.run([sys.executable, "-c", DRIVER], env=child_env, check=False,
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0 or not stamps_file.exists():
            raise SystemExit(f"the app did not start (exit {done.returncode}):\n"
                             f"{done.stderr[-2000:]}")
        stamps = json.loads(stamps_file.read_text(encoding="utf-8"))
    return {name: at - started for name, at in stamps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    parser.add_argument("--display", default=None, help="an X display (default: offscreen)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.display:
        env.update(DISPLAY=args.display, QT_QPA_PLATFORM="xcb")
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    with cpu_hog(args.busy):
        runs = [one_start(env) for _ in range(args.repeats)]
    print(f"start-up, {load_label(args.busy)}, {env['QT_QPA_PLATFORM']}, "
          f"median of {args.repeats} (min-max):")
    for stage, label in (("python", "interpreter up"), ("imports", "designer.cli imported"),
                         ("window", "main window painted"), ("model", "start model drawn")):
        values = [r[stage] for r in runs]
        print(f"  {label:<24}{statistics.median(values):>7.2f} s  "
              f"({min(values):.2f}-{max(values):.2f})")
    window = statistics.median(r["window"] for r in runs)
    print(f"start -> window shown: median {window:.2f} s (target <= {TARGET_S:g} s)"
          f"{'' if window <= TARGET_S else '  MISSED'}")


if __name__ == "__main__":
    main()
