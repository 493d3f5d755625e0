"""Composition root of the GUI: builds the QApplication and the main window; holds no logic."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

NO_DISPLAY_MESSAGE = (
    "netdesigner: no display found (DISPLAY / WAYLAND_DISPLAY are not set), so the window "
    "cannot open.\n"
    "  • Render the window to an image:  netdesigner --screenshot window.png\n"
    "  • Run the whole workflow headless: netdesigner demo\n"
    "  • Or start it on a virtual display: xvfb-run netdesigner"
)

#: how long a thread running Python keeps the GIL once another thread asks for it. While a
#: model opens or is analysed on a worker thread, each call the GUI thread makes into Qt
#: releases the GIL and waits up to this long to get it back; at Python's 5 ms, the ~100
#: symbol paints of the zoo chart's first fill took 0.2-0.6 s (bench/gil_switch.py).
GIL_SWITCH_S = 0.001


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def xcb_problem() -> str:
    """The message for a window Qt would abort on for want of xcb libraries ("" when fine)."""
    from designer import qt_libraries

    if not qt_libraries.uses_xcb():
        return ""
    missing = qt_libraries.missing_libraries()
    return qt_libraries.missing_message(missing) if missing else ""


def run_gui(project: str | None, model: str | None, screenshot: str | None) -> int:
    """Start the designer window (or render it to `screenshot` and exit)."""
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not _has_display():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)  # noqa: T201 - the CLI's user message
        return 2
    elif message := xcb_problem():
        print(message, file=sys.stderr)  # noqa: T201 - the CLI's user message
        return 2
    sys.setswitchinterval(GIL_SWITCH_S)  # the GUI thread gets the GIL back sooner
    from PySide6.QtWidgets import QApplication

    from designer.ui.crash import CrashHandler
    from designer.ui.main_window import MainWindow
    from designer.ui.project_controller import HeadlessPrompts

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("NetDesigner")
    app.setOrganizationName("NetDesigner")
    # the pages import torch (seconds): placeholders first, the pages after the first paint
    window = MainWindow(restore_layout=not screenshot, deferred_pages=not screenshot)
    if screenshot:
        window.projects.prompts = HeadlessPrompts(None)  # nobody is there to answer a dialog
    # bugs (not UserErrors) from any thread: traceback to logs/, a dialog, the app keeps running
    CrashHandler(save_project=window.projects.save, parent=window).install()
    # Qt and the window are loaded: move them out of the collector's reach, so full collections
    # stay cheap (~0 ms instead of ~260 ms of frozen window); again once torch and the pages are
    gc.collect()
    gc.freeze()
    window.pages_ready.connect(gc.freeze)
    window.pages_ready.connect(_enable_warm_training_start)
    if screenshot:
        window.browser.list_in_background()
        _open_first(window, project, model, screenshot=True)
        ready = window.projects.opened if project else window.session.open_finished
        return _screenshot(window, Path(screenshot), ready)
    # the window first, then what fills it: opening a model imports torchvision (seconds)
    from designer.ui.first_paint import after_first_paint

    after_first_paint(window, lambda: _open_first(window, project, model, screenshot=False))
    window.show()
    return int(app.exec())


def _enable_warm_training_start() -> None:
    """From now on the Train page keeps a training process ready (torch is loaded by now)."""
    from designer.workers.training_process import enable_warm_start

    enable_warm_start()


def _open_first(window: object, project: str | None, model: str | None, screenshot: bool) -> None:
    """The project asked for, else an autosave to recover, else the start model."""
    from designer.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if project:
        window.projects.open(Path(project))
    elif screenshot or not window.projects.offer_recovery(window.workspace.project_dir):
        crashed = None if screenshot or model else window.projects.crashed_recent()
        if crashed is not None:
            window.projects.open(crashed)  # asks whether to restore its autosave
        else:
            window.open_start_model(model)


#: The longest a screenshot waits for the model or project to open before it saves what it has.
SCREENSHOT_WAIT_MS = 180_000


def _screenshot(window: object, path: Path, ready: object) -> int:
    """Wait for `ready(ok)` (the model or project has opened), render the window offscreen,
    save it and quit; exit status 1 when opening failed, timed out or the file was not written."""
    from PySide6.QtCore import QTimer, SignalInstance
    from PySide6.QtWidgets import QApplication

    from designer.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(ready, SignalInstance)
    result = {"code": 1, "started": False}

    def grab(ok: bool) -> None:
        if result["started"]:
            return
        if not window.browser.is_listed:  # the model list fills in behind; shoot it filled
            window.browser.listed.connect(lambda: grab(ok))
            return
        result["started"] = True
        window.show()
        QApplication.processEvents()
        window.canvas.show_opening()
        QTimer.singleShot(300, lambda: save(ok))

    def save(ok: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = window.grab().save(str(path))
        result["code"] = 0 if ok and saved else 1
        message = f"saved {path}" if saved else f"could not write {path}"
        if not ok:
            message += " (the model or project did not open; the window is shown as it is)"
        print(f"netdesigner: {message}", file=sys.stderr)  # noqa: T201
        window.close()
        QApplication.quit()

    ready.connect(grab)
    QTimer.singleShot(SCREENSHOT_WAIT_MS, lambda: grab(False))
    QApplication.exec()
    return int(result["code"])
