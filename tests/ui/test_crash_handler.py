"""Bugs reach one handler: traceback logged to a file, a dialog, the app keeps running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.surgery.design import Design
from designer.ui.crash import CrashHandler
from designer.ui.main_window import MainWindow
from designer.ui.project_controller import ProjectPrompts
from designer.workers.task import TaskRunner


@pytest.fixture
def handler(window: MainWindow, tmp_path: Path) -> Iterator[CrashHandler]:
    crash = CrashHandler(tmp_path / "logs", save_project=window.projects.save, parent=window)
    crash.install()
    yield crash
    crash.uninstall()


def _buggy_edit(design: Design) -> None:
    with design.transaction("Buggy edit"):
        design.freeze_backbone()
        raise KeyError("layer3")  # a programming error halfway through an edit


def test_a_key_error_inside_an_edit_is_logged_shown_and_the_project_can_be_saved(
        window: MainWindow, handler: CrashHandler, qtbot: QtBot, tmp_path: Path) -> None:
    window.show()
    design = window.session.design
    assert design is not None
    before = design.network.state()
    banners: list[str] = []
    window.session.error_occurred.connect(banners.append)
    with qtbot.waitSignal(handler.reported, timeout=5_000) as shown:
        assert window.session.edit(_buggy_edit) is None
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text(encoding="utf-8")
    assert "KeyError: 'layer3'" in text and "_buggy_edit" in text, "the traceback is in the log"
    assert shown.args[2] == logs[0]
    assert handler.dialog is not None and handler.dialog.isVisible()
    assert "KeyError" in handler.dialog.summary.text() and str(logs[0]) in handler.dialog.summary.text()
    assert banners == [], "a bug is not shown as a short user message"
    assert design.network.state() == before, "the failed edit left no trace"
    assert handler.dialog.details.isHidden(), "the traceback is for bug reports, shown on request"
    handler.dialog.details_button.click()
    assert not handler.dialog.details.isHidden()
    handler.dialog.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert "_buggy_edit" in QGuiApplication.clipboard().text()

    # the app is still up: editing works, and the dialog's Save project… saves
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        window.session.edit(lambda d: d.replace_head(3))
    target = tmp_path / "saved"

    class Answers(ProjectPrompts):
        def choose_save_folder(self) -> Path | None:
            return target

    window.projects.prompts = Answers(window)
    handler.dialog.save_button.click()
    assert (target / "project.json").is_file()
    assert design.history.is_clean


def test_bugs_in_tasks_and_threads_are_logged(handler: CrashHandler, qtbot: QtBot,
                                              tmp_path: Path) -> None:
    runner = TaskRunner()
    failures: list[str] = []
    runner.failed.connect(lambda message, _tb: failures.append(message))
    with qtbot.waitSignal(handler.reported, timeout=5_000):
        runner.start(lambda _p, _c: [][1])
    qtbot.waitUntil(lambda: not runner.running, timeout=5_000)
    assert failures and "IndexError" in failures[0]
    with qtbot.waitSignal(handler.reported, timeout=5_000):
        thread = threading.Thread(target=lambda: 1 / 0)
        thread.start()
        thread.join()
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "logs").glob("crash-*.log")]
    assert any("IndexError" in t for t in texts) and any("ZeroDivisionError" in t for t in texts)
