"""Background tasks report progress, results, failures and cancellation on the GUI thread."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
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
    from designer.data.errors import DataSourceError

    def task(_p: Callable[[float, str], None], _c: Callable[[], bool]) -> None:
        raise DataSourceError("the folder /x has no class folders")

    runner = TaskRunner()
    failures: list[str] = []
    runner.failed.connect(lambda message, _tb: failures.append(message))
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(task)
    assert failures == ["the folder /x has no class folders"]


def test_a_bug_in_a_task_goes_to_the_excepthook_not_into_a_message(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _k, error, _tb: hooked.append(error))
    runner = TaskRunner()
    failures: list[str] = []
    runner.failed.connect(lambda message, _tb: failures.append(message))
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(lambda _p, _c: 1 / 0)
    assert [type(e) for e in hooked] == [ZeroDivisionError]
    assert failures and failures[0].startswith("Unexpected error (ZeroDivisionError")


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


def test_partial_results_arrive_in_order_before_the_result(qtbot: QtBot) -> None:
    runner = TaskRunner()
    heard: list[object] = []
    runner.partial.connect(lambda value: heard.append(("partial", value)))
    runner.succeeded.connect(lambda value: heard.append(("result", value)))

    def task(_p: Callable[[float, str], None], _c: Callable[[], bool],
             deliver: Callable[[object], None]) -> str:
        deliver("graph")
        deliver("more")
        return "design"

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start_partial(task)
    assert heard == [("partial", "graph"), ("partial", "more"), ("result", "design")]


def test_no_partial_result_after_a_cancel(qtbot: QtBot) -> None:
    import threading

    runner = TaskRunner()
    heard: list[object] = []
    runner.partial.connect(heard.append)
    cancelled: list[bool] = []
    runner.cancelled.connect(lambda: cancelled.append(True))
    go = threading.Event()

    def task(_p: Callable[[float, str], None], _c: Callable[[], bool],
             deliver: Callable[[object], None]) -> None:
        assert go.wait(10)
        deliver("stale graph")

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start_partial(task)
        runner.cancel()
        go.set()
    assert heard == [] and cancelled == [True]
