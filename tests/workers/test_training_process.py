"""The training process behind the runner: it trains what the thread trained, stops, survives
being killed (one message, a resumable run), reports engine and setup errors as before, never
loads Qt, and does not outlive the window's process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.project.workflow import run_request
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.training.callbacks import Recorder
from designer.training.events import IterationEvent
from designer.training.options import TrainingOptions
from designer.workers import training_process
from designer.workers.training import (
    KFoldRequest,
    RunRequest,
    TrainingProcessError,
    TrainingRunner,
)
from tests.workers.faults import with_unreadable_image
from tests.workers.test_training_runner import Recorder as Signals

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
SIZE = 32
TIMEOUT = 120_000
QUICK = TrainingOptions(epochs=2, batch_size=8, mixed_precision="off")


@pytest.fixture
def design() -> Design:
    return open_model("mobilenet_v3_small", "none", input_size=SIZE)


@pytest.fixture
def data(design: Design) -> PreparedData:
    data = prepare_data(DataConfig(source="sample:shapes", image_size=SIZE),
                        design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    return data


@pytest.fixture
def runner(qtbot: QtBot) -> Any:
    runner = TrainingRunner()
    yield runner
    runner.shutdown()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _iterations(signals: Signals) -> list[IterationEvent]:
    return [event for batch in signals.of("iterations") for event in batch]


def test_the_process_trains_what_the_thread_trained(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    design.freeze_backbone()
    request = RunRequest(design.snapshot(), data, QUICK, tmp_path / "process")
    signals = Signals(runner)
    pids: set[int | None] = set()
    runner.iterations.connect(lambda _batch: pids.add(runner.process_id))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(request)
    [pid] = pids
    assert pid is not None and pid != os.getpid() and not _alive(pid)
    in_thread: list[Any] = []  # the same request, the engine in this process (as before)
    run_request(RunRequest(design.snapshot(), data, QUICK, tmp_path / "thread"),
                callbacks=[Recorder(in_thread)])
    expected = [e.iteration for e in in_thread if isinstance(e, IterationEvent)]
    assert [e.iteration for e in _iterations(signals)] == expected == list(range(1, 19))
    run, finished = signals.of("finished")[0]
    assert finished.reason == "completed" and finished.iterations == len(expected)
    assert run.run_dir.parent == tmp_path / "process" and run.evaluation is not None
    assert runner.process_id is None
    assert signals.of("failed") == []


def test_a_killed_process_is_one_message_and_its_run_resumes_to_the_same_result(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    options = QUICK.replace(epochs=4)
    signals = Signals(runner)
    killed: list[int] = []

    def kill_in_epoch_two(batch: list[IterationEvent]) -> None:
        pid = runner.process_id
        if not killed and pid is not None and batch[-1].iteration >= 11:
            os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would
            killed.append(pid)

    runner.iterations.connect(kill_in_epoch_two)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(RunRequest(design.snapshot(), data, options, tmp_path / "runs"))
    assert killed and not _alive(killed[0])
    [message] = signals.of("failed")
    assert message.startswith("The training process ended unexpectedly (killed by signal 9")
    assert "press Resume" in message and "Traceback" not in message
    [(run, finished)] = signals.of("finished")
    assert finished is None, "the engine never said it finished"
    assert run is not None and run.status == "interrupted" and run.resumable

    runner.iterations.disconnect(kill_in_epoch_two)
    resumed_signals = Signals(runner)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(RunRequest(design.snapshot(), data, options, tmp_path / "runs",
                                resume_dir=run.run_dir))
    resumed, finished = resumed_signals.of("finished")[0]
    assert resumed_signals.of("failed") == []
    assert finished.reason == "completed" and resumed.run_dir == run.run_dir
    straight = run_request(RunRequest(design.snapshot(), data, options, tmp_path / "straight"))
    assert [r["iteration"] for r in resumed.history.iterations] == list(range(1, 37))
    assert [r["loss"] for r in resumed.history.iterations] == pytest.approx(
        [r["loss"] for r in straight.history.iterations], rel=1e-5)
    assert resumed.summary.best_val_acc == pytest.approx(straight.summary.best_val_acc)


def test_an_engine_error_reads_as_it_did_in_the_thread(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    broken = with_unreadable_image(data, 5)
    signals = Signals(runner)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(RunRequest(design.snapshot(), broken, QUICK, tmp_path / "process"))
    in_thread = run_request(RunRequest(design.snapshot(), broken, QUICK, tmp_path / "thread"))
    run, finished = signals.of("finished")[0]
    assert finished.reason == "error" and run.status == in_thread.status
    assert "cannot identify image file" in finished.message
    assert finished.message == in_thread.summary.message
    assert signals.of("failed") == []


def test_a_bug_outside_the_engine_reaches_the_crash_handler_with_the_child_traceback(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _kind, error, _tb: reported.append(error))
    signals = Signals(runner)
    bad = KFoldRequest(design.snapshot(), data, "fast", tmp_path, 2)  # type: ignore[arg-type]
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(bad)
    [message] = signals.of("failed")
    [error] = reported
    assert isinstance(error, TrainingProcessError)
    assert message == "Training could not run: TypeError: options must be TrainingOptions, got str"
    assert str(error) == "TypeError: options must be TrainingOptions, got str"
    assert "Traceback" in str(error.__cause__) and "kfold.py" in str(error.__cause__)
    assert signals.of("finished") == [(None, None)] and not list(tmp_path.iterdir())


def test_the_training_process_never_loads_qt(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    maps: list[str] = []

    def read_maps(_batch: list[IterationEvent]) -> None:
        if not maps and runner.process_id is not None:
            maps.append(Path(f"/proc/{runner.process_id}/maps").read_text())
            runner.stop()

    runner.iterations.connect(read_maps)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(RunRequest(design.snapshot(), data, QUICK.replace(epochs=50), tmp_path))
    [child] = maps
    assert "libtorch" in child, "the map is the training process's"
    assert "PySide6" not in child and "libQt6" not in child
    own = Path(f"/proc/{os.getpid()}/maps").read_text()
    assert "PySide6" in own, "the check can see Qt where it is loaded"


_PARENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path[:0] = {paths!r}
    from designer.project.data_config import DataConfig, prepare_data
    from designer.surgery.opening import open_model
    from designer.training.options import TrainingOptions
    from designer.workers.training_process import TrainingProcess
    from designer.workers.training_wire import Setup
    from designer.project.workflow import RunRequest

    design = open_model("mobilenet_v3_small", "none", input_size=32)
    data = prepare_data(DataConfig(source="sample:shapes", image_size=32),
                        design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    options = TrainingOptions(epochs=500, batch_size=8, mixed_precision="off")
    child = TrainingProcess()
    child.start(Setup(RunRequest(design.snapshot(), data, options, Path({runs!r})), 1, 30))
    while not any(kind == "events" for kind, _ in child.receive(1.0)):
        pass
    print(child.pid, flush=True)
    time.sleep(600)
""")


def test_the_training_process_ends_when_the_window_process_is_killed(tmp_path: Path) -> None:
    script = _PARENT.format(paths=sys.path, runs=str(tmp_path / "runs"))
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                          text=True) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())  # printed once the child is training
        assert _alive(child)
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the training process outlived the window's process"
    [run_dir] = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["name"], "its run folder stays"


def test_a_spare_process_trains_the_next_run_and_goes_with_the_window(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    training_process.prewarm()
    spare = training_process.spare_pid()
    assert spare is not None and _alive(spare)
    signals = Signals(runner)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(RunRequest(design.snapshot(), data, QUICK.replace(epochs=1), tmp_path))
        qtbot.waitUntil(lambda: runner.process_id is not None, timeout=TIMEOUT)
        assert runner.process_id == spare, "the run went to the process started ahead"
    assert signals.of("finished")[0][1].reason == "completed"
    assert not _alive(spare) and training_process.spare_pid() is None
    training_process.prewarm()
    second = training_process.spare_pid()
    assert second is not None and second != spare and _alive(second)
    training_process.discard_spare()
    assert training_process.spare_pid() is None and not _alive(second)
