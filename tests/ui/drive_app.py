"""Runs the real `netdesigner` window (designer.app.run_gui) in a child process and drives it.

Not a test module: tests/ui/test_xcb_smoke.py and test_crash_recovery.py start it with
``python drive_app.py MODE MODEL`` and read the JSON lines it prints. The driving happens from
a timer inside the real event loop, through the window's own actions; nothing in the product
knows about it.

Modes:
  smoke    wait for the model, show every page in turn, quit through File ▸ Quit.
  edit     wait for the model, freeze the backbone (Model ▸ Freeze backbone), autosave, then
           wait to be killed.
  restore  answer "Restore unsaved work?" with Yes, report the restored design, quit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from designer import app
from designer.ui.main_window import MainWindow
from designer.ui.project_controller import ProjectPrompts, UnsavedChoice


def report(**values: object) -> None:
    print(json.dumps(values), flush=True)  # noqa: T201 - read by the parent test


def main(mode: str, model: str) -> int:
    problem = app.xcb_problem()
    if problem:
        print(problem, file=sys.stderr)  # noqa: T201
        return 3
    qapp = QApplication([])
    report(platform=qapp.platformName())

    def restore_autosave(_self: ProjectPrompts, folder: Path) -> bool:
        report(restore_asked=str(folder))
        return True

    def unsaved_changes(_self: ProjectPrompts, before: str) -> UnsavedChoice:
        report(unsaved_asked=before)
        return UnsavedChoice.DISCARD

    ProjectPrompts.restore_autosave = restore_autosave  # type: ignore[method-assign]
    ProjectPrompts.unsaved_changes = unsaved_changes  # type: ignore[method-assign]
    steps = {"smoke": smoke, "edit": edit, "restore": restore}[mode]
    QTimer.singleShot(0, lambda: wait_for_model(steps))
    return app.run_gui(project=None, model=model, screenshot=None)


def window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))


def wait_for_model(then: object) -> None:
    win = window() if any(isinstance(w, MainWindow) for w in QApplication.topLevelWidgets()) \
        else None
    if win is None or win.session.design is None or win.session.analysis is None \
            or not win.isVisible() or win.pages.pending:  # the pages are built after the paint
        QTimer.singleShot(100, lambda: wait_for_model(then))
        return
    assert callable(then)
    then(win)


def smoke(win: MainWindow) -> None:
    shown = []
    for index in range(win.pages.count()):
        win.pages.setCurrentIndex(index)
        QApplication.processEvents()
        page = win.pages.currentWidget()
        if page.isVisible() and page.width() > 0 and page.height() > 0:
            shown.append(win.pages.tabText(index))
    report(pages=shown, model=win.session.design.info.model_name if win.session.design else None)
    QTimer.singleShot(0, win.quit_action.trigger)


def edit(win: MainWindow) -> None:
    win.freeze_backbone_action.trigger()
    design = win.session.design
    assert design is not None
    frozen = sorted(design.frozen_layers())
    win.projects.autosave_now()
    marker = win.workspace.project_dir / ".autosave" / "autosave.json"

    def wait_for_autosave() -> None:
        if marker.is_file() and not win.projects.autosaving:
            report(autosaved=str(win.workspace.project_dir), frozen=frozen)
        else:
            QTimer.singleShot(50, wait_for_autosave)

    wait_for_autosave()


def restore(win: MainWindow) -> None:
    design = win.session.design
    assert design is not None
    report(frozen=sorted(design.frozen_layers()), title=win.windowTitle(),
           unsaved=win.projects.has_unsaved_changes())
    QTimer.singleShot(0, win.quit_action.trigger)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
