"""The training runner: engine events reach the GUI thread in order and complete; stop and
shutdown end the thread and keep the run; failures outside the engine become messages."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.training.events import FinishedEvent, IterationEvent, StartEvent, ValidationEvent
from designer.training.options import TrainingOptions
from designer.workers.training import RunRequest, TrainingRunner, describe_failure

SIZE = 32
QUICK = TrainingOptions(epochs=2, batch_size=8, mixed_precision="off")
LONG = TrainingOptions(epochs=200, batch_size=8, mixed_precision="off")


@pytest.fixture
def design() -> Design:
    return open_model("mobilenet_v3_small", "none", input_size=SIZE)


@pytest.fixture
def data(design: Design) -> PreparedData:
    return prepare_data(DataConfig(source="sample:shapes", image_size=SIZE),
                        design.info.preprocessing)


@pytest.fixture
def runner(qtbot: QtBot) -> Any:
    runner = TrainingRunner()
    yield runner
    runner.shutdown()


class Recorder:
    """Every runner signal with the thread it arrived on."""

    def __init__(self, runner: TrainingRunner) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.threads: set[int] = set()
        for name in ("started", "iterations", "validation", "epoch", "cache_progress", "log",
                     "engine_finished", "failed"):
            getattr(runner, name).connect(lambda payload, n=name: self._add(n, payload))
        runner.finished.connect(lambda run, event: self._add("finished", (run, event)))

    def _add(self, name: str, payload: Any) -> None:
        self.threads.add(threading.get_ident())
        self.seen.append((name, payload))

    def of(self, name: str) -> list[Any]:
        return [payload for kind, payload in self.seen if kind == name]

    def names(self) -> list[str]:
        return [kind for kind, _ in self.seen]


def _snapshot(design: Design) -> tuple[list[Any], dict[str, torch.Tensor], list[bool]]:
    state = {k: v.clone() for k, v in design.state_dict().items()}
    return list(design.network), state, [layer.frozen for layer in design.network]


def test_every_event_arrives_on_the_gui_thread_in_order(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    before = _snapshot(design)
    record = Recorder(runner)
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        runner.start(RunRequest(design.snapshot(), data, QUICK, tmp_path))
        assert runner.running
        assert not gc.isenabled(), "no collection on the training thread (it would free Qt objects)"
    assert record.threads == {threading.get_ident()}  # the test runs on the GUI thread
    assert gc.isenabled(), "automatic garbage collection is back after the run"
    run, finished = record.of("finished")[0]
    assert isinstance(finished, FinishedEvent) and finished.reason == "completed"
    assert record.names()[-1] == "finished" and not runner.running
    history = json.loads((run.run_dir / "history.json").read_text())
    iterations: list[IterationEvent] = [e for batch in record.of("iterations") for e in batch]
    assert [e.iteration for e in iterations] == [r["iteration"] for r in history["iterations"]]
    assert [e.loss for e in iterations] == [r["loss"] for r in history["iterations"]]
    validations: list[ValidationEvent] = record.of("validation")
    assert [(v.iteration, v.val_acc) for v in validations] == [
        (r["iteration"], r["val_acc"]) for r in history["validations"]]
    assert isinstance(record.of("started")[0], StartEvent)
    assert record.names().index("started") < record.names().index("iterations")
    # a validation arrives after the iterations it covers and before any later one
    position = 0
    for name, payload in record.seen:
        if name == "iterations":
            assert payload[0].iteration == position + 1
            position = payload[-1].iteration
        elif name == "validation":
            assert payload.iteration == position
    assert record.of("log"), "the engine's decisions reach the log"
    after = _snapshot(design)
    assert after[0] == before[0] and after[2] == before[2]
    assert all(torch.equal(before[1][k], after[1][k]) for k in before[1])


def test_stop_ends_the_run_and_saves_it(qtbot: QtBot, runner: TrainingRunner, design: Design,
                                        data: PreparedData, tmp_path: Path) -> None:
    design.replace_head(len(data.classes), class_names=data.classes)
    record = Recorder(runner)
    runner.iterations.connect(lambda _batch: runner.stop())
    with qtbot.waitSignal(runner.finished, timeout=120_000):
        runner.start(RunRequest(design.snapshot(), data, LONG, tmp_path))
    run, finished = record.of("finished")[0]
    assert finished.reason == "stopped"
    assert not runner.running
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert summary["reason"] == "stopped"
    assert summary["iterations"] < LONG.epochs * 9
    assert (run.run_dir / "evaluation.json").is_file(), "a stopped run is still assessed"


def test_shutdown_joins_the_thread_and_reports_the_run(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    design.replace_head(len(data.classes), class_names=data.classes)
    record = Recorder(runner)
    with qtbot.waitSignal(runner.iterations, timeout=60_000):
        runner.start(RunRequest(design.snapshot(), data, LONG, tmp_path))
    with pytest.raises(RuntimeError, match="already in progress"):
        runner.start(RunRequest(design.snapshot(), data, LONG, tmp_path))
    assert runner.shutdown(60_000)
    assert not runner.running
    run, finished = record.of("finished")[0]  # delivered before shutdown returned
    assert finished.reason == "stopped"
    assert json.loads((run.run_dir / "summary.json").read_text())["reason"] == "stopped"
    qtbot.wait(100)  # the thread's own queued `finished` must not report a second time
    assert len(record.of("finished")) == 1


def test_a_head_that_does_not_fit_the_classes_is_a_message(
        qtbot: QtBot, runner: TrainingRunner, design: Design, data: PreparedData,
        tmp_path: Path) -> None:
    record = Recorder(runner)
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        # 1000 ImageNet outputs, 4 classes
        runner.start(RunRequest(design.snapshot(), data, QUICK, tmp_path))
    [message] = record.of("failed")
    assert "1000 outputs" in message and "4 classes" in message
    assert record.of("finished") == [(None, None)]
    assert not list(tmp_path.iterdir()), "nothing was trained or saved"


def test_failures_outside_the_engine_are_worded_for_the_user() -> None:
    assert "batch size" in describe_failure(MemoryError())
    from designer.project.workflow import WorkflowError

    assert describe_failure(WorkflowError("The data has 3 classes.")) == "The data has 3 classes."
    assert describe_failure(ValueError("bad")) == "Training could not run: ValueError: bad"
    assert describe_failure(RuntimeError("boom")) == "Training could not run: RuntimeError: boom"
