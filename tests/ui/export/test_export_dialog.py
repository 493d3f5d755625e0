"""The Export dialog, driven as a user would: choose, click Export, read the results table.

Uses the two tiny trained runs of tests/ui/conftest.py (mobilenet_v3_small at 32 px, 4 classes).
"""

from __future__ import annotations

import os
import py_compile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from designer.export import DEFAULT_ATOL, FORMATS, load_exported
from designer.export.codegen import import_script
from designer.project.data_config import PreparedData
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.surgery.opening import open_model
from designer.ui.export import ExportDialog, prompts
from designer.ui.export.dialog import COLUMNS, CURRENT_DESIGN
from designer.ui.export.items import SCRIPT
from designer.ui.workspace import Workspace

TIMEOUT = 240_000
DIFF, RESULT, FILE = COLUMNS.index("Max |diff|"), COLUMNS.index("Result"), COLUMNS.index("File")


@pytest.fixture
def dialog_for(qtbot: QtBot, workspace: Workspace) -> Iterator[Callable[..., ExportDialog]]:
    made: list[ExportDialog] = []

    def make(run: RunRecord | None, folder: Path, keys: tuple[str, ...]) -> ExportDialog:
        dialog = ExportDialog(workspace, run)
        qtbot.addWidget(dialog)
        dialog.folder_edit.setText(str(folder))
        for key, box in dialog.checks.items():
            box.setChecked(key in keys)
        dialog.show()
        made.append(dialog)
        return dialog

    yield make
    for dialog in made:
        dialog.shutdown()


def _export(qtbot: QtBot, dialog: ExportDialog) -> dict[str, str]:
    with qtbot.waitSignal(dialog.all_done, timeout=TIMEOUT) as done:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    return dict(done.args[0])


def _cell(dialog: ExportDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    return item.text() if item is not None else ""


def _everything_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def test_exports_every_format_and_the_script_with_parity_in_the_table(
        qtbot: QtBot, dialog_for: Callable[..., ExportDialog], runs: list[RunRecord],
        tmp_path: Path) -> None:
    run = runs[0]
    folder = tmp_path / "new" / "exports"  # created by the export
    dialog = dialog_for(run, folder, (*FORMATS, SCRIPT))
    assert dialog.run is not None and dialog.run.run_dir == run.run_dir

    states = _export(qtbot, dialog)

    assert states == dict.fromkeys((*FORMATS, SCRIPT), "verified")
    assert run.evaluation is not None
    classes = list(run.evaluation.classes)
    for row, key in enumerate(("safetensors", "onnx", "openvino", "pt2", "torchscript", SCRIPT)):
        assert _cell(dialog, row, RESULT) == "Verified"
        assert 0.0 <= float(_cell(dialog, row, DIFF)) <= DEFAULT_ATOL, key
    stem = run.model_name
    assert {f"{stem}.safetensors", "labels.json", "preprocessing.json", f"{stem}.onnx",
            f"{stem}.xml", f"{stem}.bin", f"{stem}.pt2", f"{stem}.pt", "train.py", "weights.safetensors",
            "split.json"} == set(_everything_in(folder))
    assert _cell(dialog, 1, FILE) == f"{stem}.onnx"
    # the files are what they say: the ONNX file computes the run's model, with its labels
    model = run_design(run.run_dir).build()
    onnx = load_exported(folder / f"{stem}.onnx")
    x = torch.randn(3, 3, 32, 32)
    assert onnx.labels == tuple(classes)
    assert onnx.preprocessing is not None and onnx.preprocessing["crop_size"] == 32
    with torch.no_grad():
        assert torch.allclose(onnx(x)[0], model(x), atol=1e-4)
    ordinary = tmp_path / "ordinary"
    ordinary.touch()
    modes = {p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert modes == {ordinary.stat().st_mode & 0o777}  # not private 0600 like temporary files
    py_compile.compile(str(folder / "train.py"), doraise=True)
    assert dialog.show_folder_button.isEnabled()
    assert "Wrote and verified 6 of 6" in dialog.status.text()


def test_exports_the_current_design_when_no_run_is_chosen(
        qtbot: QtBot, dialog_for: Callable[..., ExportDialog], workspace: Workspace,
        tmp_path: Path) -> None:
    design = open_model("mobilenet_v3_small", "none", input_size=32)
    design.replace_head(3, class_names=["a", "b", "c"])
    workspace.session.set_design(design)
    dialog = dialog_for(None, tmp_path, ("pt2",))
    assert dialog.source_box.currentText() == CURRENT_DESIGN

    assert _export(qtbot, dialog) == {"pt2": "verified"}

    loaded = load_exported(tmp_path / "mobilenet_v3_small.pt2")
    assert loaded.labels == ("a", "b", "c")
    assert float(_cell(dialog, 0, DIFF)) <= DEFAULT_ATOL


def test_a_script_whose_head_does_not_fit_the_data_is_refused(
        qtbot: QtBot, dialog_for: Callable[..., ExportDialog], workspace: Workspace,
        data: PreparedData, tmp_path: Path) -> None:
    design = open_model("mobilenet_v3_small", "none", input_size=32)
    design.replace_head(3, class_names=["a", "b", "c"])
    workspace.session.set_design(design)
    workspace.set_data(data)  # 4 classes
    dialog = dialog_for(None, tmp_path / "out", (SCRIPT,))

    assert _export(qtbot, dialog) == {SCRIPT: "failed"}

    assert ("the current design has 3 outputs but the data has 4 classes"
            in dialog.problems.text())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("read_only", [False, True], ids=["full-disk", "read-only"])
def test_a_target_that_cannot_take_the_files_leaves_nothing_and_says_why(
        read_only: bool, qtbot: QtBot, dialog_for: Callable[..., ExportDialog],
        runs: list[RunRecord], small_mount: Callable[..., Path]) -> None:
    folder = small_mount("1m", read_only=read_only)  # the model's weights need ~6 MB
    dialog = dialog_for(runs[0], folder, (*FORMATS, SCRIPT))

    states = _export(qtbot, dialog)

    assert set(states.values()) == {"failed"}
    assert os.listdir(folder) == []
    assert all(_cell(dialog, r, RESULT) == "Failed — not written" for r in range(len(states)))
    shown = dialog.problems.text()
    assert dialog.problems.isVisible()
    if read_only:
        assert f"cannot write to {folder} (Read-only file system): choose another folder" in shown
    else:
        assert f"not enough space in {folder}: needs ~" in shown and "MB free" in shown
    assert "Traceback" not in shown
    assert "none of them was written" in dialog.status.text()
    assert shown.count("\n") == 0  # the same folder problem is said once, for every item
    assert dialog.export_button.isEnabled() and dialog.close_button.text() == "Close"


def test_cancel_stops_and_leaves_no_partial_file(
        qtbot: QtBot, dialog_for: Callable[..., ExportDialog], runs: list[RunRecord],
        tmp_path: Path) -> None:
    dialog = dialog_for(runs[1], tmp_path, ("onnx", "pt2", "torchscript"))
    dialog.runner.progressed.connect(lambda *_: dialog.close_button.click())  # "Cancel"

    states = _export(qtbot, dialog)

    assert states["torchscript"] == "cancelled"  # never started
    assert "cancelled" in states.values()
    written = {f"{runs[1].model_name}{s}" for k, s in ((k, {"onnx": ".onnx", "pt2": ".pt2",
                                                            "torchscript": ".pt"}[k])
                                                        for k in states) if states[k] == "verified"}
    assert set(_everything_in(tmp_path)) == written  # no partial file, no staging folder
    assert "Cancelled:" in dialog.status.text()
    assert dialog.isVisible()  # Cancel stops the work, it does not close the dialog


def test_existing_files_are_replaced_only_when_the_user_agrees(
        qtbot: QtBot, dialog_for: Callable[..., ExportDialog], runs: list[RunRecord],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / f"{runs[0].model_name}.pt2"
    target.write_bytes(b"the user's file")
    asked: list[list[str]] = []

    def refuse(_parent: object, _folder: Path, names: list[str]) -> bool:
        asked.append(names)
        return False

    monkeypatch.setattr(prompts, "confirm_replace", refuse)
    dialog = dialog_for(runs[0], tmp_path, ("pt2",))

    assert not dialog.start()

    assert asked == [[target.name]]
    assert target.read_bytes() == b"the user's file"
    assert not dialog.runner.running


def test_file_menu_and_evaluate_page_open_the_dialog_for_the_shown_run(
        qtbot: QtBot, workspace: Workspace, runs: list[RunRecord],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from designer.ui.evaluation import EvaluationPage
    from designer.ui.main_window import MainWindow

    opened: list[ExportDialog] = []
    def record(dialog: ExportDialog) -> int:
        opened.append(dialog)
        return 0

    monkeypatch.setattr(ExportDialog, "exec", record)
    page = EvaluationPage(workspace)
    qtbot.addWidget(page)
    page.set_run(runs[0])
    menu = page.export_button.menu()
    assert menu is not None
    [export_model, generate_script] = menu.actions()
    assert (export_model.text(), generate_script.text()) == ("Export model…",
                                                             "Generate PyTorch script…")
    generate_script.trigger()
    assert opened[-1].run is not None and opened[-1].run.run_dir == runs[0].run_dir
    assert opened[-1].chosen() == [SCRIPT]
    window = MainWindow(workspace.session, restore_layout=False)
    qtbot.addWidget(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    texts = [a.text() for a in file_menu.actions()]
    assert "Export model…" in texts and "Generate PyTorch script…" in texts
    window.open_export()
    assert opened[-1].chosen() == ["safetensors", "onnx"]
    assert opened[-1].parent() is window
    window.close()
    page.shutdown()
    QApplication.processEvents()


def test_cli_script_writes_a_bundle_that_compiles_and_loads(
        runs: list[RunRecord], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from designer.cli import main

    run = runs[0]
    out = tmp_path / "bundle"

    assert main(["script", str(run.run_dir), "--out", str(out)]) == 0

    printed = capsys.readouterr().out
    assert f"wrote train.py, weights.safetensors, split.json to {out}" in printed
    py_compile.compile(str(out / "train.py"), doraise=True)
    script = import_script(out / "train.py")
    network = script.build_model(out / "weights.safetensors").eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(network(x), run_design(run.run_dir).build()(x), atol=1e-5)
    assert main(["script", str(tmp_path / "not-a-run"), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("netdesigner script: ") and "Traceback" not in error
    assert error.count("\n") == 1


def test_cli_export_carries_the_trained_image_size_and_labels(
        runs: list[RunRecord], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from designer.cli import main

    run = runs[0]
    out = tmp_path / "model.pt2"

    assert main(["export", str(run.run_dir), "--format", "pt2", "--out", str(out)]) == 0

    assert "max |diff|" in capsys.readouterr().out
    loaded = load_exported(out)
    assert run.evaluation is not None and loaded.labels == run.evaluation.classes
    assert loaded.preprocessing is not None
    assert loaded.preprocessing["crop_size"] == 32  # what it was trained on, not the zoo's 224
    assert list(tmp_path.iterdir()) == [out]



def test_show_folder_without_a_file_manager_says_where_the_files_are(
        dialog_for: Callable[..., ExportDialog], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """On a desktop with no launcher the button used to do nothing at all."""
    dialog = dialog_for(None, tmp_path / "out", ("safetensors",))
    monkeypatch.setattr(prompts, "show_folder", lambda _folder: False)
    dialog.show_folder_button.setEnabled(True)
    dialog.show_folder_button.click()
    assert str(tmp_path / "out") in dialog.status.text()
    assert "No file manager" in dialog.status.text()
