"""Background tasks never run Python's GC off the GUI thread (it would free Qt objects there)."""

from __future__ import annotations

import gc
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from designer.workers.task import TaskRunner


def test_automatic_gc_is_paused_during_a_task_and_restored_after(qtbot: QtBot) -> None:
    assert gc.isenabled()
    runner = TaskRunner()

    def task(_progress: Callable[[float, str], None], _cancelled: Callable[[], bool]) -> bool:
        return gc.isenabled()

    with qtbot.waitSignal(runner.succeeded, timeout=10_000) as blocker:
        runner.start(task)
    qtbot.waitUntil(lambda: not runner.running)
    assert blocker.args == [False]
    assert gc.isenabled()


def test_a_failing_task_restores_gc_too(qtbot: QtBot) -> None:
    runner = TaskRunner()

    def task(_progress: Callable[[float, str], None], _cancelled: Callable[[], bool]) -> None:
        raise ValueError("broken on purpose")

    with qtbot.capture_exceptions() as bugs, qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start(task)
    assert gc.isenabled()
    # a bug (not a UserError) also reaches the crash handler's hook
    assert [str(error) for _kind, error, _tb in bugs] == ["broken on purpose"]
