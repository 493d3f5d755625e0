"""The plots show a history exactly, switch the loss to a log axis, and export PNG and SVG."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from designer.project.runs import RunRecord
from designer.training.history import History
from designer.training.run_dir import RunDir
from designer.training.run_records import RunInfo
from designer.ui.training import TrainingDashboard, export
from designer.ui.training.plots import TrainingPlots
from designer.ui.training.series import Series, Smoother


def _history(iterations: int = 40, per_epoch: int = 10) -> History:
    rows = [{"epoch": 1 + (i - 1) // per_epoch, "iteration": i, "loss": 2.0 * math.exp(-i / 15),
             "accuracy": min(1.0, i / iterations), "lr": 1e-3 * (1 - i / (iterations + 1)),
             "images_per_second": 100.0, "elapsed": i * 0.1} for i in range(1, iterations + 1)]
    validations = [{"iteration": i, "epoch": i // per_epoch, "train_loss": 1.0, "train_acc": 0.5,
                    "val_loss": 1.5 * math.exp(-i / 20), "val_acc": i / (iterations + 10),
                    "is_best": True} for i in range(per_epoch, iterations + 1, per_epoch)]
    epochs = [{"epoch": v["epoch"], "iteration": v["iteration"], "train_loss": 1.0,
               "train_acc": 0.5, "seconds": 1.0, "images_per_second": 100.0}
              for v in validations]
    return History(rows, validations, epochs)


def test_a_history_is_shown_point_for_point(qtbot: QtBot) -> None:
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    history = _history()
    plots.load_history(history)
    qtbot.waitUntil(lambda: plots.settled)  # one plot's new axes per frame
    x, y = plots.curves["loss"].getData()
    assert list(x) == list(range(1, 41))
    assert list(y) == [r["loss"] for r in history.iterations]
    smooth = Smoother()
    expected = [smooth(r["loss"]) for r in history.iterations]
    assert plots.curves["loss_smoothed"].getData()[1] == pytest.approx(expected)
    assert expected[0] == pytest.approx(history.iterations[0]["loss"]), "debiased start"
    vx, vy = plots.curves["val_acc"].getData()
    assert list(vx) == [10, 20, 30, 40]
    assert list(vy) == pytest.approx([100 * v["val_acc"] for v in history.validations])
    plots.clear()
    assert plots.curves["loss"].getData()[0] is None or len(plots.curves["loss"].getData()[0]) == 0


def test_series_grow_without_losing_points() -> None:
    series = Series(capacity=2)
    for start in range(0, 1000, 7):
        xs = list(range(start, min(start + 7, 1000)))
        series.extend(xs, [2.0 * x for x in xs])
    assert len(series) == 1000
    assert np.array_equal(series.x, np.arange(1000))
    assert np.array_equal(series.y, 2.0 * np.arange(1000))
    with pytest.raises(ValueError, match="x values"):
        series.extend([1, 2], [1])


def test_log_scale_toggle_changes_the_loss_axis(qtbot: QtBot,
                                                dashboard: TrainingDashboard) -> None:
    dashboard.plots.load_history(_history())
    item = dashboard.plots.plots["loss"].getPlotItem()
    qtbot.mouseClick(dashboard.log_scale, Qt.MouseButton.LeftButton)
    assert item.getAxis("left").logMode
    assert "log" in item.getAxis("left").labelText
    qtbot.waitUntil(lambda: item.viewRange()[1][1] < 1.0)  # the view is in log10 units
    qtbot.mouseClick(dashboard.log_scale, Qt.MouseButton.LeftButton)
    assert not item.getAxis("left").logMode


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_writes_the_chosen_plot(qtbot: QtBot, dashboard: TrainingDashboard,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       suffix: str) -> None:
    dashboard.plots.load_history(_history())
    target = tmp_path / f"curve{suffix}"
    asked: list[str] = []

    def choose(_parent: object, suggested: str) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(export, "choose_export_path", choose)
    shown = dashboard.plots.plots["loss"].getPlotItem().sceneBoundingRect().size()
    loss_action = dashboard.export_button.menu().actions()[0]
    assert loss_action.text() == "Loss"
    loss_action.trigger()
    assert asked == ["loss.png"]
    assert target.is_file()
    if suffix == ".png":
        image = QImage(str(target))
        assert image.width() == round(shown.width() * export.PNG_SCALE)
        assert image.height() == round(shown.height() * export.PNG_SCALE)
    else:
        text = target.read_text()
        assert "<svg" in text and "Validation" in text and "Iteration" in text
        assert text.count("<polyline") + text.count("<path") > 5, "curves and axes are vectors"
    assert dashboard.message.kind == "success" and str(target) in dashboard.message.text


def test_export_cancelled_or_failing(qtbot: QtBot, dashboard: TrainingDashboard, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "choose_export_path", lambda _p, _s: None)
    dashboard.export_plot("accuracy")
    assert not dashboard.message.text
    missing = tmp_path / "no" / "such" / "folder" / "acc.png"
    monkeypatch.setattr(export, "choose_export_path", lambda _p, _s: missing)
    dashboard.export_plot("accuracy")
    assert dashboard.message.kind == "error" and "Could not write" in dashboard.message.text


def test_choosing_an_earlier_run_shows_its_curves(qtbot: QtBot, dashboard: TrainingDashboard,
                                                  tmp_path: Path) -> None:
    run = RunRecord(run_dir=tmp_path, info=RunInfo("earlier-run"), history=_history(20))
    dashboard.workspace.select_run(run)
    assert len(dashboard.plots.curves["loss"].getData()[0]) == 20
    assert "earlier-run" in dashboard.progress.bar.text()


def test_choosing_an_interrupted_run_offers_resume(qtbot: QtBot, dashboard: TrainingDashboard,
                                                   tmp_path: Path) -> None:
    """A run killed mid-way (a checkpoint, no summary) can be resumed; a finished one cannot."""
    killed = RunDir(tmp_path / "killed")
    killed.write_info(RunInfo("killed"))
    killed.write_history(_history(20))
    (killed.path / "checkpoint.pt").write_bytes(b"the last completed epoch")
    run = RunRecord.load(killed.path)
    assert run.status == "interrupted" and run.resumable
    dashboard.workspace.select_run(run)
    assert dashboard.resume_button.isEnabled()
    killed.write_summary({"reason": "completed", "status": "completed"})
    dashboard.workspace.select_run(RunRecord.load(killed.path))
    assert not dashboard.resume_button.isEnabled()


def test_a_fine_tune_run_shows_where_the_whole_network_starts_training(qtbot: QtBot) -> None:
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.load_history(_history(), phase_epoch=2)
    assert plots.phases == [20.0]  # the end of epoch 2, the last head-only epoch
    for plot in plots.plots.values():  # on the loss, accuracy and learning-rate plots
        lines = [item for item in plot.getPlotItem().items if hasattr(item, "label")
                 and getattr(item, "label", None) is not None]
        assert any("phase 2: all layers" in line.label.toPlainText() for line in lines)
    plots.load_history(_history())  # a standard run: no phase line left behind
    assert plots.phases == []
