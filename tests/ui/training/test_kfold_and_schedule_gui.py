"""Cross-validation from the Train page (K runs, a mean ± std table equal to the runs' own
numbers, the folds grouped in Compare) and the schedule preview (equal to the run's steps)."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.project.data_config import PreparedData
from designer.project.kfold import fold_metrics
from designer.surgery.design import Design
from designer.training.schedules import iterations_per_epoch
from designer.ui.compare import ComparePage
from designer.ui.training import TrainingDashboard
from designer.ui.workspace import Workspace

TIMEOUT = 240_000


def test_cross_validation_trains_k_runs_and_tabulates_their_spread(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    ready_to_train(tiny_design, shapes)
    dashboard.kfold_check.setChecked(True)
    dashboard.kfold_count.setValue(3)
    assert dashboard.start_button.text() == "Start cross-validation (3 runs)"
    folds_seen: list[int] = []
    bar_texts: list[str] = []
    dashboard.runner.fold_started.connect(lambda event: folds_seen.append(event.fold))
    dashboard.runner.iterations.connect(
        lambda _events: bar_texts.append(dashboard.progress.bar.format()))
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dashboard.start_button, Qt.MouseButton.LeftButton)
        assert workspace.session.locked
    assert folds_seen == [1, 2, 3]
    assert {t.split("   ·   ")[0] for t in bar_texts} == {"Fold 1 of 3", "Fold 2 of 3", "Fold 3 of 3"}
    assert not dashboard.progress.bar.format().startswith("Fold")
    runs = [r for r in workspace.runs if " fold " in r.name]
    assert sorted(r.name.rsplit(" ", 1)[-1] for r in runs) == ["1/3", "2/3", "3/3"]
    assert all(r.status == "completed" for r in runs)
    assert dashboard.tabs.currentWidget() is dashboard.kfold_table
    assert dashboard.message.kind == "success" and "3 of 3 folds" in dashboard.message.text
    assert not workspace.session.locked and dashboard.start_button.isEnabled()

    table = dashboard.kfold_table
    by_fold = {int(r.name.rsplit(" ", 1)[-1].split("/")[0]): fold_metrics(r) for r in runs}
    for key in ("final_val_acc", "best_val_acc", "val_loss", "test_acc"):
        values = [by_fold[i][key] for i in (1, 2, 3)]
        shown = table.row_values(key)
        assert shown[1:] == values, key
        assert shown[0] == pytest.approx(statistics.fmean(values)), key
    final = [by_fold[i]["final_val_acc"] for i in (1, 2, 3)]
    mean, std = statistics.fmean(final), statistics.stdev(final)
    assert table.table.item(0, 1).text() == f"{100 * mean:.1f} ± {100 * std:.1f} %"
    headers = [table.table.horizontalHeaderItem(c).text()
               for c in range(table.table.columnCount())]
    assert headers == ["Metric", "Mean ± std", "Fold 1", "Fold 2", "Fold 3"]

    again = TrainingDashboard(workspace)  # the project reopened: its last table is there
    qtbot.addWidget(again)
    assert again.kfold_table.row_values("test_acc") == table.row_values("test_acc")
    again.shutdown()

    compare = ComparePage(workspace)
    qtbot.addWidget(compare)
    try:
        assert compare.folds.current is not None and compare.folds.current.k == 3
        compare.run_list.set_all_checked(False)
        qtbot.mouseClick(compare.folds.compare_button, Qt.MouseButton.LeftButton)
        assert {r.run_dir for r in compare.checked_runs()} == {r.run_dir for r in runs}
        assert set(compare.curves.items["val_acc"]) == {r.run_dir for r in runs}
        assert compare.folds.table.row_values("test_acc") == table.row_values("test_acc")
    finally:
        compare.shutdown()


def test_stopping_a_cross_validation_keeps_the_finished_folds(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    ready_to_train(tiny_design, shapes)
    dashboard.kfold_check.setChecked(True)
    dashboard.kfold_count.setValue(3)
    dashboard.runner.fold_started.connect(
        lambda event: dashboard.stop() if event.fold == 2 else None)
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT):
        assert dashboard.start()
    runs = sorted((r for r in workspace.runs if " fold " in r.name), key=lambda r: r.name)
    assert [r.name.rsplit(" ", 1)[-1] for r in runs] == ["1/3", "2/3"]
    assert runs[0].status == "completed"
    summary = dashboard.kfold_table.summary
    assert summary is not None and not summary.complete and len(summary.completed) == 1
    assert "stopped after 2 of 3 folds" in dashboard.message.text
    assert dashboard.kfold_table.row_values("final_val_acc") == [
        fold_metrics(runs[0])["final_val_acc"]] * 2  # the mean of one fold is that fold


def test_the_schedule_preview_is_what_the_run_then_uses(
        qtbot: QtBot, dashboard: TrainingDashboard, workspace: Workspace, tiny_design: Design,
        shapes: PreparedData, ready_to_train: Callable[..., None]) -> None:
    ready_to_train(tiny_design, shapes)
    preview = dashboard.schedule
    assert "assumed" not in preview.summary.text()
    form = dashboard.form
    form.set_value("recipe", "finetune")
    form.set_value("epochs", 3)
    form.set_value("head_epochs", 1)
    form.set_value("schedule", "cosine")
    form.set_value("warmup_epochs", 0.5)
    planned = preview.current
    assert planned is not None and planned.phase_start is not None
    per_epoch = iterations_per_epoch(len(shapes.datasets["train"]), workspace.options)
    assert planned.total == 3 * per_epoch and planned.phase_start == per_epoch
    assert preview.phase.isVisible() and all(c.isVisible() for c in preview.groups)
    assert "Head only for 1 epoch, then all layers" in preview.summary.text()
    x, y = preview.head.getData()
    assert list(y) == planned.lrs and x[-1] == pytest.approx((planned.total - 1) / per_epoch)
    with qtbot.waitSignal(dashboard.run_finished, timeout=TIMEOUT) as blocker:
        assert dashboard.start()
    run = blocker.args[0]
    used = [row["lr"] for row in run.history.iterations]
    assert used == pytest.approx(planned.lrs, rel=1e-9)
    form.set_value("recipe", "standard")  # one phase: the group curves go
    assert preview.current is not None and preview.current.phase_start is None
    assert not preview.phase.isVisible() and not any(c.isVisible() for c in preview.groups)
