"""Background tasks report progress, results, failures and cancellation on the GUI thread."""

from __future__ import annotations

import time
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from designer.workers.task import TaskCancelled, TaskRunner


def test_result_and_progress_arrive(qtbot: QtBot) -> None:
    runner = TaskRunner(min_interval=0.0)
    seen: list[float] = []
    runner.progressed.connect(lambda f, _m: seen.append(f))
    results: list[object] = []
    runner.succeeded.connect(results.append)

    def task(progress: Callable[[float, str], None], _cancelled: Callable[[], bool]) -> int:
        for i in range(3):
            progress((i + 1) / 3, f"step {i}")
        return 42

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(task)
    assert results == [42]
    assert seen[-1] == 1.0
    assert not runner.running


def test_failure_is_a_message_not_a_crash(qtbot: QtBot) -> None:
    runner = TaskRunner()
    failures: list[str] = []
    runner.failed.connect(lambda message, _tb: failures.append(message))
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(lambda _p, _c: 1 / 0)
    assert failures == ["division by zero"]


def test_cancel_stops_the_task(qtbot: QtBot) -> None:
    runner = TaskRunner()
    cancelled: list[bool] = []
    runner.cancelled.connect(lambda: cancelled.append(True))

    def slow(_progress: Callable[[float, str], None], is_cancelled: Callable[[], bool]) -> None:
        for _ in range(500):
            if is_cancelled():
                raise TaskCancelled
            time.sleep(0.01)

    runner.start(slow)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()
    assert cancelled == [True]
