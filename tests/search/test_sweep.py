"""Sweeps: Optuna trials that are normal runs of the project, budgeted, shared between processes."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig, prepare_data
from designer.project.project_file import Project, open_project, save_project
from designer.project.runs import list_runs
from designer.search.sweep import (
    SweepBudget,
    SweepError,
    SweepSpace,
    load_study,
    run_sweep,
    set_freeze_depth,
    space_from_text,
    sweep_summary,
    trials_counted,
)
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions
from designer.zoo.preprocessing import Preprocessing

ROOT = Path(__file__).parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A saved project: random-weight mobilenet_v3_small at 32 px on three colour classes."""
    rng = random.Random(0)
    data_root = tmp_path / "data"
    for index, name in enumerate(("red", "green", "blue")):
        (data_root / name).mkdir(parents=True)
        for i in range(10):
            colour = [rng.randint(0, 80) for _ in range(3)]
            colour[index] = rng.randint(150, 255)
            Image.new("RGB", (24, 24), tuple(colour)).save(data_root / name / f"{i}.png")
    config = DataConfig(source=str(data_root), image_size=32)
    data = prepare_data(config, Preprocessing(), check_health=False)
    design = open_model("mobilenet_v3_small", "none", input_size=32)
    design.replace_head(3, class_names=data.classes)
    options = TrainingOptions(epochs=2, batch_size=16, num_workers=0, seed=0,
                              checkpoint_every_epoch=False)
    folder = tmp_path / "project"
    save_project(Project(folder, design, config, options, data.manifest))
    return folder


def test_a_six_trial_sweep_finishes_within_its_time_budget_with_a_pareto_front(
        project: Path, qtbot: QtBot) -> None:
    space = SweepSpace(lr=(1e-4, 3e-2), freeze=(0.5, 1.0), batch_size=(8, 16))
    budget = SweepBudget(trials=6, minutes=10)
    start = time.monotonic()
    summary = run_sweep(project, budget, space, study="six")
    assert time.monotonic() - start < 10 * 60
    assert summary.stopped_because == "the trial budget is spent"
    assert len(summary.finished) == 6
    runs = {r.run_dir.name: r for r in list_runs(project / "runs")}
    assert {r.run for r in summary.rows} <= set(runs), "every trial is a normal run"
    complete = [r for r in summary.rows if r.state == "complete"]
    assert complete and all(r.latency_ms is not None for r in complete)
    front = [r for r in summary.rows if r.number in summary.front]
    assert front, "the Pareto front is there to show"
    for row in complete:  # nothing off the front beats a front trial on both counts
        assert not any(f.latency_ms < row.latency_ms and f.accuracy < row.accuracy
                       for f in front if f is not row)
    if len(complete) >= 2:
        assert set(summary.importances) <= {"lr", "freeze", "batch_size"}
    study = load_study(project, "six")
    reported = [t for t in study.trials if t.intermediate_values]
    assert reported, "trials report their per-epoch validation accuracy (for pruning)"
    assert sweep_summary(project, "six").rows == summary.rows

    # Compare ▸ Sweeps shows the same study: table, importances, front
    from designer.ui.search.sweep_panel import SweepPanel
    from designer.ui.session import DesignSession
    from designer.ui.workspace import Workspace

    panel = SweepPanel(Workspace(DesignSession(), project))
    qtbot.addWidget(panel)
    assert panel.study.currentText() == "six"
    assert panel.table.rowCount() == 6
    stars = [panel.table.item(i, panel.table.columnCount() - 1).text() for i in range(6)]
    assert stars.count("★") == len(summary.front)


def test_two_processes_on_one_journal_study_finish_n_trials_in_total(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    command = [sys.executable, "-m", "designer", "sweep", str(project), "--trials", "4",
               "--study", "shared", "--lr", "1e-3:1e-2", "--json"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=900) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    summary = sweep_summary(project, "shared")
    assert [r.number for r in summary.rows] == [0, 1, 2, 3]
    assert len(summary.finished) == 4
    assert len({r.run for r in summary.rows}) == 4
    assert (project / "sweeps" / "shared.journal").is_file()


def test_a_joining_process_uses_the_studys_ranges_and_refuses_others(project: Path) -> None:
    space = SweepSpace(lr=(1e-3, 1e-2))
    run_sweep(project, SweepBudget(trials=1), space, study="s")
    summary = run_sweep(project, SweepBudget(trials=2), None, study="s")
    assert [set(r.params) for r in summary.rows] == [{"lr"}, {"lr"}]
    with pytest.raises(SweepError, match="already searches other ranges"):
        run_sweep(project, SweepBudget(trials=3), SweepSpace(lr=(1e-4, 1e-3)), study="s")


def test_freeze_depth_freezes_that_share_of_the_layers_from_the_input(project: Path) -> None:
    design = open_project(project).design
    set_freeze_depth(design, 0.5)
    weighted = [ly for ly in design.network if ly.op == "module" and ly.trainable_kind]
    frozen = [ly.frozen for ly in weighted]
    assert frozen[: len(frozen) // 2 - 1] == [True] * (len(frozen) // 2 - 1)
    assert not frozen[-1], "the final layer is never frozen"
    assert frozen.count(True) == round(0.5 * (len(weighted) - 1))


def test_ranges_from_text_are_checked() -> None:
    space = space_from_text(lr="1e-4:1e-2", freeze="0,1", options=["solver=adamw,sgdm"])
    assert space is not None and space.options == {"solver": ("adamw", "sgdm")}
    assert space_from_text() is None
    with pytest.raises(SweepError, match="cannot be swept"):
        space_from_text(options=["colour=red"])
    with pytest.raises(SweepError):
        space_from_text(lr="fast")
    with pytest.raises(SweepError, match="budget"):
        SweepBudget()


def test_a_trial_whose_process_is_killed_is_shown_interrupted_not_running(project: Path) -> None:
    """kill -9 mid-trial: opening the study again fails that trial as interrupted, it does not
    count against the trial budget, and the Sweeps table says so."""
    import signal

    import optuna

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    command = [sys.executable, "-m", "designer", "sweep", str(project), "--trials", "1",
               "--study", "killed", "--lr", "1e-3:1e-2", "--set", "epochs=500"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(1)
            journal = project / "sweeps" / "killed.journal"
            if journal.is_file() and any(
                    t.intermediate_values for t in optuna.load_study(
                        study_name="killed", storage=optuna.storages.JournalStorage(
                            optuna.storages.journal.JournalFileBackend(str(journal)))
                    ).get_trials(states=(optuna.trial.TrialState.RUNNING,))):
                break  # at least one epoch of the trial has run
        assert process.poll() is None, "the sweep ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    summary = sweep_summary(project, "killed")
    [row] = summary.rows
    assert row.state == "interrupted" and "ended" in row.note
    assert load_study(project, "killed").trials[0].state == optuna.trial.TrialState.FAIL
    assert trials_counted(load_study(project, "killed")) == 0, \
        "a restarted sweep still runs its number of trials"
