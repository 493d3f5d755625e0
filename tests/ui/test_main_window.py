"""The assembled window: opening, editing through menus, status bar, projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.app import NO_DISPLAY_MESSAGE, run_gui
from designer.ui.main_window import MainWindow
from designer.ui.project_controller import ProjectPrompts


def test_status_bar_and_undo_labels_follow_edits(window: MainWindow, qtbot: QtBot,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from designer.ui.canvas import dialogs

    analysis = window.session.analysis
    assert analysis is not None
    assert f"{analysis.total_params / 1e6:.3g} M total" in window.params_label.text()
    monkeypatch.setattr(dialogs, "ask_replace_head",
                        lambda *_a, **_k: dialogs.HeadChoice(5, (), 0.0))
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        window.replace_head_action.trigger()
    assert window.session.analysis is not None
    assert window.session.analysis.output_shape == (1, 5)
    assert window.undo_action.text() == "Undo Replace final layer for 5 classes"
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        window.freeze_backbone_action.trigger()
    assert window.session.analysis.trainable_params == 512 * 5 + 5
    assert "2.56 k trainable" in window.params_label.text()
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        window.undo_action.trigger()
    assert window.session.analysis.trainable_params == window.session.analysis.total_params


def test_workflow_pages_hide_the_design_docks_and_bring_them_back(window: MainWindow) -> None:
    window.show()
    assert window.docks["inspector"].isVisible()
    window.show_page("Train")
    assert not window.docks["inspector"].isVisible()
    window.show_page("Design")
    assert window.docks["inspector"].isVisible()


def test_save_and_reopen_project_from_the_file_menu(window: MainWindow, qtbot: QtBot,
                                                     tmp_path: Path) -> None:
    target = tmp_path / "saved"

    class Answers(ProjectPrompts):
        def choose_save_folder(self) -> Path | None:
            return target

    window.projects.prompts = Answers(window)
    design = window.session.design
    assert design is not None
    window.session.edit(lambda d: d.replace_head(3, class_names=["a", "b", "c"]))
    assert window.projects.save()
    assert (target / "project.json").is_file()
    assert design.history.is_clean
    with qtbot.waitSignal(window.projects.project_changed, timeout=30_000):
        window.projects.open(target)
    reopened = window.session.design
    assert reopened is not design
    assert reopened is not None
    assert reopened.info.class_names == ("a", "b", "c")


def test_no_display_gives_one_clear_message(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert run_gui(project=None, model=None, screenshot=None) == 2
    assert capsys.readouterr().err.strip() == NO_DISPLAY_MESSAGE.strip()


def test_train_page_prepares_the_data_the_data_page_shows(window: MainWindow,
                                                          qtbot: QtBot) -> None:
    from designer.project.data_config import DataConfig
    from designer.ui.training import TrainingDashboard

    window.show()
    window.workspace.set_data_config(DataConfig(source="sample:shapes", image_size=32))
    dashboard = next(window.pages.widget(i) for i in range(window.pages.count())
                     if isinstance(window.pages.widget(i), TrainingDashboard))
    assert isinstance(dashboard, TrainingDashboard)
    with qtbot.waitSignal(window.workspace.data_changed, timeout=60_000):
        window.show_page("Train")  # the Data page was never opened
        assert not dashboard.start()
        assert "being prepared" in dashboard.message.label.text()
        assert "no training data" not in dashboard.message.label.text()
    data = window.workspace.data
    assert data is not None and len(data.classes) == 4


def test_hovering_the_canvas_tells_how_to_pan_and_zoom(window: MainWindow, qtbot: QtBot) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QEnterEvent
    from PySide6.QtWidgets import QApplication

    window.show()
    viewport = window.canvas.view.viewport()
    # the event Qt sends when the mouse moves onto the canvas
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    message = window.statusBar().currentMessage()
    assert "middle-drag" in message and "Ctrl+wheel" in message
