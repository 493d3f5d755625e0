"""Start-up shows the window before the heavy imports, then fills it in (issue 13).

In a fresh process (imports are per process) the real entry point `designer.cli.run([])` is
started; at the window's first paint the child notes whether torch, torchvision (seconds of
import) or networkx (a few hundred ms, pulled in by the document model) have been loaded yet and
what the workflow pages are, then waits until the model list,
the start model and the pages have arrived, and reports what the user then sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from designer.ui.main_window import START_MODEL

CHILD = r'''
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QTimer
import designer.cli
import designer.ui.main_window as mw

seen = {}
def report():
    if "opened" in seen and "listed" in seen and "pages" in seen:
        print("REPORT " + json.dumps(seen), flush=True)
        os._exit(0)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "torchvision_at_paint" not in seen:
            seen["torchvision_at_paint"] = "torchvision" in sys.modules
            seen["torch_at_paint"] = "torch" in sys.modules
            seen["networkx_at_paint"] = "networkx" in sys.modules
            seen["rows_at_paint"] = obj.browser.table_model.rowCount()
            seen["pages_at_paint"] = [type(obj.pages.widget(i)).__name__
                                      for i in range(obj.pages.count())]
        return False

# on which thread torch / networkx are first imported (however they are imported): both
# belong on worker threads
import threading
seen_threads = set()
first_import = {}
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name in ("torch", "networkx") and name not in first_import:
            thread = ("gui" if threading.current_thread() is threading.main_thread()
                      else "worker")
            first_import[name] = thread
            if name == "torch":
                seen_threads.add(thread)
        return None  # the normal finders import it
sys.meta_path.insert(0, Spy())

shown = mw.MainWindow.show
def show(window):
    from designer.ui.project_controller import HeadlessPrompts
    window.projects.prompts = HeadlessPrompts(None)
    window._test_filter = FirstPaint(window)
    window.installEventFilter(window._test_filter)
    def opened(ok):
        seen["opened"] = ok
        seen["model"] = window.session.design.info.model_name if ok else None
        seen["networkx_thread"] = first_import.get("networkx")
        report()
    def listed():
        seen["listed"] = window.browser.table_model.rowCount()
        seen["families"] = window.browser.family_combo.count()
        report()
    def pages():
        seen["pages"] = [type(window.pages.widget(i)).__name__ for i in range(window.pages.count())]
        seen["page_threads"] = sorted(seen_threads)
        report()
    window.session.open_finished.connect(opened)
    window.browser.listed.connect(listed)
    window.pages_ready.connect(pages)
    QTimer.singleShot(240_000, lambda: os._exit(4))
    shown(window)
mw.MainWindow.show = show
designer.cli.run([])
'''


def test_window_is_painted_before_torch_loads_then_fills_in(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "NETDESIGNER_NO_DOWNLOAD": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    seen = json.loads(lines[-1].removeprefix("REPORT "))
    assert seen["torch_at_paint"] is False  # the window did not wait for torch
    assert seen["torchvision_at_paint"] is False  # nor for torchvision
    assert seen["networkx_at_paint"] is False  # nor for networkx (the empty canvas needs none)
    assert seen["pages_at_paint"] == ["QWidget"] + ["PendingPage"] * 5  # Design, then placeholders
    assert seen["page_threads"] == ["worker"]  # torch came in off the GUI thread
    assert seen["pages"] == ["QWidget", "DataPage", "TrainingDashboard", "EvaluationPage",
                             "ComparePage", "AuditPage"]  # then every page is built
    assert seen["rows_at_paint"] == 0  # ...nor for the zoo listing
    assert seen["opened"] is True and seen["model"] == START_MODEL  # the start model arrives
    assert seen["networkx_thread"] == "worker"  # its graph was built off the GUI thread
    assert seen["listed"] > 10 and seen["families"] > 2  # and so does the model list


def test_a_page_clicked_before_it_is_built_says_so_then_shows_itself(qtbot: QtBot,
                                                                     tmp_path: Path) -> None:
    """The user clicks Train while the pages are still being built: the tab switches at once to
    a "Preparing" note (not an empty page), and the real Train page replaces it in place."""
    from designer.ui.main_window import MainWindow
    from designer.ui.pages import PendingPage
    from designer.ui.training import TrainingDashboard

    win = MainWindow(restore_layout=False, deferred_pages=True)
    win.projects.new(tmp_path / "project")
    qtbot.addWidget(win)
    train = next(i for i in range(win.pages.count()) if "Train" in win.pages.tabText(i))
    win.pages.switcher.setCurrentIndex(train)  # clicked before the first paint built anything
    shown = win.pages.currentWidget()
    assert isinstance(shown, PendingPage) and shown.label.text() == "Preparing the Train page…"
    assert not win.docks["browser"].isVisibleTo(win)  # the Design docks step aside as usual
    with qtbot.waitSignal(win.pages_ready, timeout=120_000):
        win.show()
    page = win.pages.currentWidget()
    assert isinstance(page, TrainingDashboard) and page.isVisible()  # same tab, real page
    assert win.pages.switcher.currentIndex() == train
    assert not any(isinstance(win.pages.widget(i), PendingPage) for i in range(win.pages.count()))
    page.page_requested.emit("Data")  # its links to other pages work once it is built
    assert "Data" in win.pages.tabText(win.pages.currentIndex())
