"""Compare page: run list, overlaid curves, metrics, settings that differ, Pareto front, actions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.training.run_dir import DESIGN
from designer.ui.compare import ComparePage
from designer.ui.compare.colours import PALETTE
from designer.ui.compare.run_list import ACCURACY, DIFFERS, MODEL, STATUS
from designer.ui.workspace import Workspace


def _item(page: ComparePage, run: RunRecord) -> QTreeWidgetItem:
    items = [page.run_list.topLevelItem(i) for i in range(page.run_list.topLevelItemCount())]
    return next(it for it in items if it is not None and it.text(0) == run.name)


def _check_only(page: ComparePage, runs: list[RunRecord]) -> None:
    """What the user does: "None", then tick each run's checkbox."""
    page.run_list.set_all_checked(False)
    for run in runs:
        _item(page, run).setCheckState(0, Qt.CheckState.Checked)


def test_every_run_is_listed_with_model_and_status(page: ComparePage, runs: list[RunRecord]) -> None:
    assert [r.run_dir for r in page.run_list.runs()] == [r.run_dir for r in runs]
    for run in runs:
        item = _item(page, run)
        assert item.text(MODEL) == "mobilenet_v3_small"
        assert item.text(STATUS) == run.summary.reason == "completed"
        assert item.checkState(0) == Qt.CheckState.Checked  # new runs come checked


def test_checked_runs_draw_one_curve_each_equal_to_their_history(
        page: ComparePage, runs: list[RunRecord]) -> None:
    _check_only(page, [runs[0]])
    assert all(len(items) == 1 for items in page.curves.items.values())
    _check_only(page, runs)
    for key, (section, value) in {"val_acc": ("validations", "val_acc"),
                                  "train_loss": ("iterations", "loss")}.items():
        drawn = page.curves.items[key]
        assert set(drawn) == {r.run_dir for r in runs}
        for run in runs:
            xs, ys = drawn[run.run_dir].getData()
            assert list(xs) == [row["iteration"] for row in run.history.to_dict()[section]]
            percent = 100 if key == "val_acc" else 1  # accuracy in %, as on the Train page
            assert list(ys) == pytest.approx([row[value] * percent
                                              for row in run.history.to_dict()[section]])
    assert page.curves.legend_names() == [r.name for r in runs]
    for run in runs:
        assert run.name in page.curves.legend.text()
        assert page.colours.colour(run).name() in page.curves.legend.text()
    pens = {page.curves.items["val_acc"][r.run_dir].opts["pen"].color().name() for r in runs}
    assert len(pens) == 2  # one colour per run ...
    for run in runs:  # ... the same in both plots
        assert (page.curves.items["val_acc"][run.run_dir].opts["pen"].color()
                == page.curves.items["train_loss"][run.run_dir].opts["pen"].color()
                == page.colours.colour(run))


def test_epoch_axis_puts_per_epoch_validations_on_whole_epochs(
        page: ComparePage, runs: list[RunRecord]) -> None:
    page.curves.axis.setCurrentIndex(page.curves.axis.findData("epoch"))
    for run in runs:
        xs, _ys = page.curves.items["val_acc"][run.run_dir].getData()
        assert list(xs) == pytest.approx([row["epoch"] for row in run.history.validations])


def test_metrics_table_shows_each_run_and_sorts_by_latency(
        qtbot: QtBot, page: ComparePage, runs: list[RunRecord]) -> None:
    table = page.metrics
    assert sorted(table.column_values(0)) == sorted(r.name for r in runs)
    column = [table.source.headerData(c, Qt.Orientation.Horizontal)
              for c in range(table.source.columnCount())].index("Latency (ms)")
    header = table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(column) + 5, header.height() // 2))
    shown = [float(v) for v in table.column_values(column)]
    assert shown in (sorted(shown), sorted(shown, reverse=True))
    by_name = {r.name: r for r in runs}
    for name, latency in zip(table.column_values(0), shown, strict=True):
        assert latency == pytest.approx(by_name[str(name)].stats.latency_ms, abs=0.006)


def test_settings_diff_lists_only_what_differs(page: ComparePage, runs: list[RunRecord]) -> None:
    _check_only(page, runs)
    keys = page.diff.keys()
    assert "lr" in keys
    for same in ("epochs", "batch_size", "solver", "data.source", "data.image_size",
                 "design.model", "design.classes", "design.frozen layers"):
        assert same not in keys
    row = keys.index("lr")
    assert [page.diff.item(row, c).text() for c in range(2)] == [f"{r.options.lr:g}" for r in runs]
    _check_only(page, [runs[0]])
    assert page.diff.rowCount() == 0
    assert "two or more" in page.diff_note.text()


def _dominated(point: tuple[float, float], others: list[tuple[float, float]]) -> bool:
    lat, acc = point
    return any(o_lat <= lat and o_acc >= acc and (o_lat, o_acc) != (lat, acc) for o_lat, o_acc in others)


def test_pareto_front_holds_the_non_dominated_runs(page: ComparePage, runs: list[RunRecord]) -> None:
    _check_only(page, runs)
    points = {r.run_dir: (float(r.stats.latency_ms), float(r.evaluation.accuracy))
              for r in runs}
    expected = {d for d, p in points.items() if not _dominated(p, list(points.values()))}
    assert {p.run.run_dir for p in page.scatter.front} == expected
    xs, ys = page.scatter.front_line.getData()
    front = sorted(points[d] for d in expected)
    assert list(xs) == pytest.approx([lat for lat, _ in front])
    assert list(ys) == pytest.approx([100 * acc for _, acc in front]), "accuracy in %"
    assert len(page.scatter.scatter.points()) == len(runs)


def test_reopen_loads_the_runs_trained_design(qtbot: QtBot, page: ComparePage,
                                              workspace: Workspace, runs: list[RunRecord]) -> None:
    run = runs[0]
    page.run_list.setCurrentItem(_item(page, run))
    with qtbot.waitSignal(page.design_reopened, timeout=60_000) as blocker:
        qtbot.mouseClick(page.reopen_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].run_dir == run.run_dir
    design = workspace.session.design
    assert design is not None
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(design.build()(x), run_design(run.run_dir).build()(x))
    assert "Re-opened" in page.message.text() and run.name in page.message.text()


def test_reopen_failure_is_a_message(qtbot: QtBot, page: ComparePage, workspace: Workspace,
                                     runs: list[RunRecord], tmp_path: Path) -> None:
    broken = tmp_path / "broken-run"
    shutil.copytree(runs[0].run_dir, broken)
    (broken / "best.safetensors").unlink()
    (broken / "last.safetensors").unlink()
    (broken / "checkpoint.pt").unlink()  # else its weights are read from the checkpoint
    workspace.add_run(RunRecord.load(broken))
    page.run_list.set_current(broken)
    with qtbot.waitSignal(page.runner.finished, timeout=60_000):
        qtbot.mouseClick(page.reopen_button, Qt.MouseButton.LeftButton)
    assert "Could not re-open" in page.message.text() and "no trained weights" in page.message.text()
    assert workspace.session.design is None


def test_reopen_is_refused_while_the_design_trains(qtbot: QtBot, page: ComparePage,
                                                   workspace: Workspace) -> None:
    workspace.session.set_locked(True)
    qtbot.mouseClick(page.reopen_button, Qt.MouseButton.LeftButton)
    assert not page.runner.running
    assert "stop training" in page.message.text()


def test_show_in_evaluation_selects_the_run(qtbot: QtBot, page: ComparePage, workspace: Workspace,
                                            runs: list[RunRecord]) -> None:
    page.run_list.setCurrentItem(_item(page, runs[0]))
    with qtbot.waitSignal(workspace.run_selected) as blocker:
        qtbot.mouseClick(page.evaluate_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].run_dir == runs[0].run_dir


def test_a_new_run_appears_checked_in_its_own_colour(page: ComparePage, workspace: Workspace,
                                                     runs: list[RunRecord], tmp_path: Path) -> None:
    colours = {r.run_dir: page.colours.colour(r).name() for r in runs}
    copy = tmp_path / "third-run"
    shutil.copytree(runs[1].run_dir, copy)
    (copy / DESIGN).unlink()  # a run whose design cannot be re-opened
    workspace.add_run(RunRecord.load(copy))
    assert copy in {r.run_dir for r in page.checked_runs()}
    assert copy in page.curves.items["val_acc"]
    assert page.colours.colour(RunRecord.load(copy)).name() not in colours.values()
    assert {r.run_dir: page.colours.colour(r).name() for r in runs} == colours
    page.run_list.set_current(copy)
    assert not page.reopen_button.isEnabled()


def test_the_list_shows_each_runs_accuracy_and_what_sets_it_apart(
        page: ComparePage, runs: list[RunRecord]) -> None:
    lrs = [f"lr {r.options.lr:g}" for r in runs]
    for run, lr in zip(runs, lrs, strict=True):
        item = _item(page, run)
        assert item.text(ACCURACY) == f"{100 * run.evaluation.accuracy:.1f} %"
        assert item.text(DIFFERS).split(", ")[0] == lr, "the learning rate is what differs"
        assert "epochs" not in item.text(DIFFERS), "settings all runs share are not listed"


def test_each_run_keeps_its_own_stored_colour_in_every_session(
        qtbot: QtBot, workspace: Workspace, runs: list[RunRecord]) -> None:
    stored = [r.info.colour for r in runs]
    assert stored == [stored[0], stored[0] + 1], "handed out in creation order and stored"
    first = ComparePage(workspace)
    qtbot.addWidget(first)
    colours = [first.colours.colour(r).name() for r in runs]
    assert colours == [PALETTE[c % len(PALETTE)] for c in stored if c is not None]
    workspace.runs = list(reversed(workspace.runs))  # another order, another session
    second = ComparePage(workspace)
    qtbot.addWidget(second)
    assert [second.colours.colour(r).name() for r in runs] == colours
    for page in (first, second):
        page.shutdown()


def test_renaming_a_run_in_the_list_stores_it_and_shows_it_everywhere(
        qtbot: QtBot, page: ComparePage, workspace: Workspace, runs: list[RunRecord],
        tmp_path: Path) -> None:
    copy = tmp_path / "renamed-run"
    shutil.copytree(runs[0].run_dir, copy)
    workspace.add_run(RunRecord.load(copy))
    page.run_list.set_current(copy)
    editor = page.label_editor
    assert editor.name.text() == runs[0].name and editor.save_button.isEnabled()
    editor.name.clear()
    qtbot.keyClicks(editor.name, "baseline, frozen backbone")
    qtbot.keyClicks(editor.note, "first try")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    reloaded = RunRecord.load(copy)
    assert (reloaded.name, reloaded.info.note) == ("baseline, frozen backbone", "first try")
    assert page.run_list.current_run.run_dir == copy, "still highlighted after the rename"
    item = page.run_list.currentItem()
    assert item.text(0) == "baseline, frozen backbone" and "first try" in item.toolTip(0)
    assert "baseline, frozen backbone" in page.curves.legend_names()
    editor.name.clear()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.error.isVisibleTo(page) and "name" in editor.error.text()
    assert RunRecord.load(copy).name == "baseline, frozen backbone", "an empty name is refused"


def test_two_runs_of_one_design_share_one_latency_and_its_noise(
        page: ComparePage, runs: list[RunRecord]) -> None:
    """The fixture trains the same network twice (only lr differs): timing noise cannot
    separate them on the accuracy-vs-latency plot."""
    assert runs[0].stats.latency_ms == runs[1].stats.latency_ms is not None
    assert runs[0].stats.latency_spread_ms == runs[1].stats.latency_spread_ms is not None
    _check_only(page, runs)
    xs = {p.latency_ms for p in page.scatter.points}
    assert len(xs) == 1
