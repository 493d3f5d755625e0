"""Work is never dropped silently: quit / open / new ask Save, Discard or Cancel; Save As only
writes into a new or empty folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.project.project_file import AUTOSAVE, PROJECT_JSON
from designer.surgery.opening import open_model
from designer.ui.main_window import MainWindow
from designer.ui.project_controller import ProjectPrompts, UnsavedChoice


class Answers(ProjectPrompts):
    """Scripted answers; records every question asked."""

    def __init__(self, answer: UnsavedChoice, save_folder: Path | None = None) -> None:
        super().__init__(None)
        self.answer = answer
        self.save_folder = save_folder
        self.asked: list[str] = []

    def unsaved_changes(self, before: str) -> UnsavedChoice:
        self.asked.append(before)
        return self.answer

    def choose_save_folder(self) -> Path | None:
        return self.save_folder


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    win = MainWindow(restore_layout=False)
    win.projects.new(tmp_path / "untitled")
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.session.analysis_ready, timeout=60_000):
        win.session.set_design(open_model("resnet18", input_size=32))
    win.show()
    return win


def _edit(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.session.analysis_ready, timeout=20_000):
        window.freeze_backbone_action.trigger()
    assert window.windowTitle().startswith("resnet18 *")


def test_quit_without_changes_does_not_ask(window: MainWindow) -> None:
    answers = window.projects.prompts = Answers(UnsavedChoice.CANCEL)
    assert window.close()
    assert answers.asked == []


def test_quit_with_unsaved_changes_cancel_keeps_the_window_open(window: MainWindow,
                                                                 qtbot: QtBot) -> None:
    _edit(window, qtbot)
    answers = window.projects.prompts = Answers(UnsavedChoice.CANCEL)
    assert not window.close()
    assert window.isVisible()
    assert answers.asked == ["quitting"]
    assert window.session.design is not None and window.session.design.frozen_layers()


def test_quit_with_unsaved_changes_save_saves_then_quits(window: MainWindow, qtbot: QtBot,
                                                         tmp_path: Path) -> None:
    _edit(window, qtbot)
    target = tmp_path / "new" / "my project"  # a folder that does not exist yet
    window.projects.prompts = Answers(UnsavedChoice.SAVE, save_folder=target)
    assert window.close()
    assert (target / PROJECT_JSON).is_file()
    assert not (target / AUTOSAVE).exists(), "nothing newer than the save to offer after a crash"
    from designer.project.project_file import open_project

    assert open_project(target).design.frozen_layers()


def test_quit_save_then_cancelling_the_folder_keeps_the_window_open(window: MainWindow,
                                                                    qtbot: QtBot) -> None:
    _edit(window, qtbot)
    window.projects.prompts = Answers(UnsavedChoice.SAVE, save_folder=None)
    assert not window.close()
    assert window.isVisible()


def test_quit_with_unsaved_changes_discard_quits_and_forgets_the_autosave(
        window: MainWindow, qtbot: QtBot) -> None:
    _edit(window, qtbot)
    folder = window.workspace.project_dir
    window.projects.autosave_now()
    qtbot.waitUntil(lambda: (folder / AUTOSAVE).is_dir() and not window.projects.autosaving)
    answers = window.projects.prompts = Answers(UnsavedChoice.DISCARD)
    assert window.close()
    assert answers.asked == ["quitting"]
    assert not (folder / PROJECT_JSON).exists()
    assert not (folder / AUTOSAVE).exists(), "discarded work is not offered after a restart"


def test_open_project_with_unsaved_changes_cancel_keeps_the_design(window: MainWindow,
                                                                   qtbot: QtBot) -> None:
    _edit(window, qtbot)
    design = window.session.design
    answers = window.projects.prompts = Answers(UnsavedChoice.CANCEL)
    window.projects.open(Path("/nonexistent-project"))
    assert answers.asked == ["opening another project"]
    assert window.session.design is design


def test_save_as_refuses_a_non_empty_folder_that_is_not_a_project(window: MainWindow,
                                                                  qtbot: QtBot,
                                                                  tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "notes.txt").write_text("someone else's file")
    window.projects.prompts = Answers(UnsavedChoice.CANCEL, save_folder=shared)
    _edit(window, qtbot)
    with qtbot.waitSignal(window.session.error_occurred) as blocker:
        assert not window.projects.save_as()
    assert "is not empty and is not a NetDesigner project" in blocker.args[0]
    assert window.banner.isVisible()
    assert sorted(p.name for p in shared.iterdir()) == ["notes.txt"], "nothing written there"
    assert window.workspace.project_dir == tmp_path / "untitled"
    assert window.projects.has_unsaved_changes()


def test_new_project_asks_then_starts_fresh(window: MainWindow, qtbot: QtBot) -> None:
    _edit(window, qtbot)
    old = window.workspace.project_dir
    answers = window.projects.prompts = Answers(UnsavedChoice.DISCARD)
    with qtbot.waitSignal(window.session.open_finished, timeout=120_000):
        window.new_project_action.trigger()  # File ▸ New project
    assert answers.asked == ["starting a new project"]
    assert window.session.design is not None
    assert window.session.design.info.model_name != "resnet18", "the starting model"
    assert window.workspace.project_dir != old
    assert window.workspace.runs == []
    assert not window.projects.has_unsaved_changes()


def test_a_reopened_project_is_not_marked_changed(window: MainWindow, qtbot: QtBot,
                                                  tmp_path: Path) -> None:
    """Opening a saved project whose data settings differ from the current ones once left a
    stale "*" in the title although nothing was changed."""
    import dataclasses

    saved = tmp_path / "saved"
    window.projects.prompts = Answers(UnsavedChoice.DISCARD, save_folder=saved)
    window.workspace.set_data_config(dataclasses.replace(window.workspace.data_config, seed=7))
    assert window.projects.save_as()
    assert window.projects.new_project()  # default settings: seed 0
    assert not window.projects.has_unsaved_changes()
    with qtbot.waitSignal(window.projects.opened, timeout=60_000):
        window.projects.open(saved)
    assert window.workspace.data_config.seed == 7
    assert not window.projects.has_unsaved_changes()
    assert "*" not in window.windowTitle()


def test_a_project_left_by_a_killed_app_is_found_for_start_up(window: MainWindow,
                                                              tmp_path: Path) -> None:
    """After kill -9 with a saved project open, start-up must reopen that project (and so ask
    about its autosave) rather than show an untitled one with no word about the lost work."""
    import os
    import time

    from designer.project.project_file import LOCK

    saved = tmp_path / "saved"
    window.projects.prompts = Answers(UnsavedChoice.DISCARD, save_folder=saved)
    assert window.projects.save_as()
    assert window.projects.crashed_recent() is None, "open here and cleanly saved"
    window.projects.new(tmp_path / "elsewhere")  # this app lets go of the saved project
    assert window.projects.crashed_recent() is None, "no autosave, no crash: nothing to offer"
    marker = saved / AUTOSAVE / "autosave.json"
    marker.parent.mkdir()
    marker.write_text("{}", encoding="utf-8")
    later = time.time() + 60
    os.utime(marker, (later, later))
    dead = _exited_pid()
    (saved / LOCK).write_text(str(dead), encoding="utf-8")
    assert window.projects.crashed_recent() == saved


def _exited_pid() -> int:
    """The id of a process that has already ended (what a killed app's lock holds)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
