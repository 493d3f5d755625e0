"""The Export dialog: pick a run (or the current design), formats and a folder; write in the background.

Each chosen item (a model format, or the training script) is one background task on a
`TaskRunner`, run one after another so each row of the results table fills as soon as its file
is verified. A failed item leaves no file and says why in its row and below the table; the
remaining items still run. Cancel stops at the next safe point and writes nothing more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.compress import Int8Report
from designer.export import DEFAULT_ATOL, ExportReport
from designer.export.codegen import ScriptReport
from designer.export.codegen.bundle import PARITY_ATOL
from designer.project.export_source import ExportSource, Target
from designer.project.runs import RunRecord
from designer.ui.evaluation.run_picker import run_label
from designer.ui.export import prompts
from designer.ui.export.items import BY_KEY, DEFAULT_EXPORTS, ITEMS, SCRIPT, Item
from designer.ui.workspace import Workspace
from designer.workers.task import TaskRunner

log = logging.getLogger(__name__)
CURRENT_DESIGN = "Current design (as on the Design page)"
_GREEN, _RED, _GREY = QColor("#1b7a2e"), QColor("#b3261e"), QColor("#666666")
COLUMNS = ("What", "File", "Max |diff|", "Result")


@dataclass
class _Row:
    item: Item
    row: int
    state: str = "waiting"  # waiting | working | verified | failed | cancelled
    message: str = ""


class ExportDialog(QDialog):
    """Modal: the design cannot change while its copy is being written."""

    #: every chosen item ended (verified, failed or cancelled); payload: {key: state}
    all_done = Signal(object)

    def __init__(self, workspace: Workspace, run: RunRecord | None = None, *,
                 script: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Generate PyTorch script" if script else "Export model")
        self.setModal(True)
        self.runner = TaskRunner(self)
        self._rows: dict[str, _Row] = {}
        self._queue: list[str] = []
        self._source: ExportSource | None = None
        self._close_when_done = False
        self._active = False  # a batch of items is being written
        self._started = 0.0
        self._build(script)
        self._fill_sources(run)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._next)
        self.resize(760, 580)

    # ----- layout ------------------------------------------------------------------------
    def _build(self, script: bool) -> None:
        self.source_box = QComboBox()
        self.source_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_box.setMinimumContentsLength(40)
        self.source_info = QLabel()
        self.source_info.setWordWrap(True)
        self.source_info.setStyleSheet("color: #555;")
        self.source_box.currentIndexChanged.connect(self._update_source_info)
        self.checks: dict[str, QCheckBox] = {}
        what = QGroupBox("Write")
        what_layout = QGridLayout(what)
        what_layout.setVerticalSpacing(4)
        what_layout.setColumnStretch(1, 1)
        for row, item in enumerate(ITEMS):
            box = QCheckBox(item.title)
            box.setChecked(item.key == SCRIPT if script else item.key in DEFAULT_EXPORTS)
            box.setToolTip(item.detail)
            box.toggled.connect(self._update_buttons)
            detail = QLabel(item.detail)
            detail.setWordWrap(True)
            detail.setStyleSheet("color: #555;")
            detail.setBuddy(box)
            what_layout.addWidget(box, row, 0)
            what_layout.addWidget(detail, row, 1)
            self.checks[item.key] = box
        # torchrun support costs the script ~20 lines: written only when asked for
        self.torchrun_box = QCheckBox("The script also runs under torchrun (several GPUs or processes)")
        self.torchrun_box.setToolTip("Adds DistributedDataParallel: torchrun --nproc_per_node N train.py")
        self.checks[SCRIPT].toggled.connect(self.torchrun_box.setEnabled)
        self.torchrun_box.setEnabled(self.checks[SCRIPT].isChecked())
        what_layout.addWidget(self.torchrun_box, len(ITEMS), 1)
        self.folder_edit = QLineEdit(str(self.workspace.project_dir / "exports"))
        self.folder_edit.textChanged.connect(self._update_buttons)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Model:", self.source_box)
        form.addRow("", self.source_info)
        form.addRow("Folder:", folder_row)
        note = QLabel("Each file is loaded back and its outputs compared with the model before "
                      "it is kept. If anything fails, no file is left behind.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        diff_header = QTableWidgetItem(COLUMNS[2])
        diff_header.setToolTip(
            "Largest difference between the saved file's outputs and the model's, on batches "
            f"of 1 and 3 images (a model file must stay within {DEFAULT_ATOL:g}, the script's "
            f"network within {PARITY_ATOL:g})")
        self.table.setHorizontalHeaderItem(2, diff_header)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setMinimumHeight(110)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.setStyleSheet("color: #b3261e;")
        self.problems.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()  # shown once something is being written
        self.status = QLabel(f"Choose what to write and where, then click "
                             f"{'Generate' if script else 'Export'}.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_folder_button = QPushButton("Show folder")
        self.show_folder_button.setToolTip("Open the folder in the file manager")
        self.show_folder_button.setEnabled(False)
        self.buttons = QDialogButtonBox()
        self.show_folder_button.clicked.connect(self._show_folder)
        self.export_button = self.buttons.addButton(
            "Generate" if script else "Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(what)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        bottom = QHBoxLayout()
        bottom.addWidget(self.show_folder_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

    def _fill_sources(self, run: RunRecord | None) -> None:
        self.source_box.addItem(CURRENT_DESIGN, None)
        for record in self.workspace.runs:
            self.source_box.addItem(f"Run: {run_label(record)}", record)
        if run is not None:
            index = next((i for i in range(1, self.source_box.count())
                          if cast(RunRecord, self.source_box.itemData(i)).run_dir == run.run_dir),
                         -1)
            if index < 0:
                self.source_box.addItem(f"Run: {run_label(run)}", run)
                index = self.source_box.count() - 1
            self.source_box.setCurrentIndex(index)
        self._update_source_info()
        self._update_buttons()

    def _show_folder(self) -> None:
        """Open the folder in the file manager, or say where it is when none can be started
        (a bare desktop has no launcher: the click must not silently do nothing)."""
        if not prompts.show_folder(self.folder):
            self.status.setText(f"No file manager could be opened; the files are in "
                                f"{self.folder}.")

    # ----- public ------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        """The folder the files go into (as typed; "~" expanded)."""
        return Path(self.folder_edit.text().strip()).expanduser()

    @property
    def run(self) -> RunRecord | None:
        """The run chosen in the Model box (None: the current design)."""
        data = self.source_box.currentData()
        return data if isinstance(data, RunRecord) else None

    def chosen(self) -> list[str]:
        """Keys of the checked items, in the dialog's order."""
        return [item.key for item in ITEMS if self.checks[item.key].isChecked()]

    def states(self) -> dict[str, str]:
        """Item key -> waiting | working | verified | failed | cancelled."""
        return {key: row.state for key, row in self._rows.items()}

    def start(self) -> bool:
        """Begin writing the checked items (what the Export button does); False if refused."""
        if self.runner.running or not self.chosen() or not self.folder_edit.text().strip():
            return False
        if self.run is None and self.workspace.session.design is None:
            self._say("There is no design to export: open a model first.")
            return False
        existing = self._existing_files()
        if existing and not prompts.confirm_replace(self, self.folder, existing):
            return False
        self._source = None if self.run is not None else self._current_design_source()
        self._rows = {key: _Row(BY_KEY[key], i) for i, key in enumerate(self.chosen())}
        self._queue = list(self._rows)
        self.table.setRowCount(0)
        self.table.setRowCount(len(self._rows))
        for row in self._rows.values():
            self._set_row(row, "waiting", files=self._file_names(row.item)[0])
        self.problems.hide()
        self.progress.setValue(0)
        self.progress.show()
        self.show_folder_button.setEnabled(False)
        self._started = time.monotonic()
        self._set_running(True)
        self._next()
        return True

    def cancel(self) -> None:
        """Stop after the current step; nothing more is written."""
        if self.runner.running:
            self.runner.cancel()
            working = next((r for r in self._rows.values() if r.state == "working"), None)
            step = f"{working.item.title} stops" if working is not None else "It stops"
            self.status.setText(f"Cancelling… {step} when its current step ends (an exporter "
                                "cannot be interrupted mid-step); no partial file is left.")

    def shutdown(self) -> None:
        """Cancel and join the background task (window close, tests)."""
        self._queue.clear()
        self.runner.shutdown()

    # ----- running -----------------------------------------------------------------------
    def _next(self) -> None:
        if self.runner.running:
            return
        if not self._queue:
            if self._active:
                self._finish()
            return
        key = self._queue.pop(0)
        row = self._rows[key]
        self._set_row(row, "working")
        self.runner.start(self._task(row.item.key, self._source, self.run))

    def _task(self, key: str, source: ExportSource | None,
              run: RunRecord | None) -> Callable[..., tuple[ExportSource, str, object]]:
        folder, distributed = self.folder, self.torchrun_box.isChecked()

        def work(progress: Callable[[float, str], None],
                 cancelled: Callable[[], bool]) -> tuple[ExportSource, str, object]:
            chosen = source
            if chosen is None:
                assert run is not None
                progress(0.0, f"loading the trained model of {run.name}")
                chosen = ExportSource.from_run(run.run_dir)
            if key == SCRIPT:
                return chosen, key, chosen.write_script(folder, distributed=distributed,
                                                        progress=progress, cancel=cancelled)
            return chosen, key, chosen.export(cast(Target, key), folder, progress=progress,
                                              cancel=cancelled)

        return work

    def _on_progress(self, fraction: float, message: str) -> None:
        done = sum(1 for r in self._rows.values() if r.state in ("verified", "failed"))
        total = max(1, len(self._rows))
        self.progress.setValue(round(1000 * (done + min(max(fraction, 0.0), 1.0)) / total))
        working = next((r for r in self._rows.values() if r.state == "working"), None)
        if working is not None and not self.status.text().startswith("Cancelling"):
            self.status.setText(f"{working.item.title}: {message}")

    def _on_succeeded(self, result: object) -> None:
        source, key, report = cast(tuple[ExportSource, str, object], result)
        self._source = source
        row = self._rows[key]
        if isinstance(report, Int8Report):
            self._set_row(row, "verified", tip="\n".join([str(report.path), *report.table(),
                                                           *report.warnings]),
                          files=f"{report.path.name}: accuracy {report.fp32.accuracy:.3f} → "
                                f"{report.int8.accuracy:.3f}, {report.size_ratio:.2f}× size, "
                                f"{report.speedup:.2f}× speed")
        elif isinstance(report, ExportReport):
            self._set_row(row, "verified", files=report.path.name, diff=report.max_abs_diff,
                          tip="\n".join(str(p) for p in report.paths))
        elif isinstance(report, ScriptReport):
            self._set_row(row, "verified", files=", ".join(p.name for p in report.paths),
                          diff=report.max_abs_diff,
                          tip="\n".join(str(p) for p in report.paths))
        self.show_folder_button.setEnabled(True)

    def _on_failed(self, message: str, details: str) -> None:
        log.info("export step failed: %s\n%s", message, details)
        row = next((r for r in self._rows.values() if r.state == "working"), None)
        if row is not None:
            self._set_row(row, "failed", message=message)

    def _on_cancelled(self) -> None:
        for row in self._rows.values():
            if row.state in ("working", "waiting"):
                self._set_row(row, "cancelled")
        self._queue.clear()

    def _finish(self) -> None:
        self._set_running(False)
        self.progress.hide()
        verified = [r for r in self._rows.values() if r.state == "verified"]
        failed = [r for r in self._rows.values() if r.state == "failed"]
        cancelled = [r for r in self._rows.values() if r.state == "cancelled"]
        parts = []
        if verified:
            parts.append(f"Wrote and verified {len(verified)} of {len(self._rows)} in {self.folder}.")
        if failed:
            parts.append(f"{_names(failed)} failed; " + ("it was not written." if len(failed) == 1
                                                          else "none of them was written."))
            by_message: dict[str, list[_Row]] = {}
            for row in failed:  # one folder problem fails every item alike: say it once
                by_message.setdefault(row.message, []).append(row)
            self.problems.setText("\n".join(f"{_names(rows)}: {message}"
                                            for message, rows in by_message.items()))
            self.problems.show()
        if cancelled:
            parts.append(f"Cancelled: {_names(cancelled)} not written.")
        self.status.setText(" ".join(parts) or "Nothing was written.")
        self.all_done.emit(self.states())
        if self._close_when_done:
            self.accept()

    # ----- helpers -----------------------------------------------------------------------
    def _current_design_source(self) -> ExportSource:
        ws = self.workspace
        design = ws.session.design
        assert design is not None
        manifest = ws.data.manifest if ws.data is not None else None
        return ExportSource.from_design(design, ws.options, ws.data_config, manifest)

    def _model_name(self) -> tuple[str, bool]:
        run = self.run
        if run is not None:
            return run.model_name or "model", bool(_run_classes(run))
        design = self.workspace.session.design
        if design is None:
            return "model", False
        return design.info.model_name, bool(design.info.class_names)

    def _file_names(self, item: Item) -> list[str]:
        name, labels = self._model_name()
        return item.file_names(name, labels)

    def _existing_files(self) -> list[str]:
        folder = self.folder
        names = [n for key in self.chosen() for n in self._file_names(BY_KEY[key])]
        return [n for n in dict.fromkeys(names) if (folder / n).exists()]

    def _set_row(self, row: _Row, state: str, *, files: str | None = None,
                 diff: float | None = None, message: str = "", tip: str = "") -> None:
        row.state, row.message = state, message
        text = {"waiting": "Waiting", "working": "Writing…", "verified": "Verified",
                "failed": "Failed — not written", "cancelled": "Cancelled — not written"}[state]
        colour = {"verified": _GREEN, "failed": _RED}.get(state, _GREY)
        cells = [(0, row.item.title, row.item.detail)]
        if files is not None:
            cells.append((1, files, tip or files))
        if diff is not None:
            cells.append((2, "0" if diff == 0 else f"{diff:.1e}", f"{diff:.3g}"))
        elif state in ("failed", "cancelled"):
            cells.append((2, "—", ""))
        cells.append((3, text, message or text))
        for column, value, tooltip in cells:
            cell = QTableWidgetItem(value)
            cell.setToolTip(tooltip)
            if column == 3:
                cell.setForeground(colour)
            if column == 2:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row.row, column, cell)

    def _set_running(self, running: bool) -> None:
        self._active = running
        for widget in (self.source_box, self.folder_edit, self.browse_button, *self.checks.values()):
            widget.setEnabled(not running)
        self.export_button.setEnabled(not running and self._can_start())
        self.close_button.setText("Cancel" if running else "Close")

    def _can_start(self) -> bool:
        return bool(self.chosen()) and bool(self.folder_edit.text().strip())

    def _update_buttons(self) -> None:
        if not self.runner.running:
            self.export_button.setEnabled(self._can_start())

    def _update_source_info(self) -> None:
        run = self.run
        if run is not None:
            state = "its best weights" if run.finished else "unfinished: its last saved weights"
            classes = len(_run_classes(run))
            self.source_info.setText(f"{run.model_name} · {classes or 'no'} class names · {state}")
            return
        design = self.workspace.session.design
        if design is None:
            self.source_info.setText("No model is open.")
            return
        classes = len(design.info.class_names)
        self.source_info.setText(
            f"{design.info.model_name} · {classes or 'no'} class names · its weights as they are "
            "on the Design page (choose a run above for trained weights)")

    def _browse(self) -> None:
        start = self.folder if self.folder.is_dir() else self.workspace.project_dir
        chosen = prompts.choose_folder(self, start)
        if chosen is not None:
            self.folder_edit.setText(str(chosen))

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # ----- closing -----------------------------------------------------------------------
    def reject(self) -> None:
        """Close; while writing, Cancel (and Escape) stop the writing and keep the dialog open."""
        if self._active:
            self._queue.clear()
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._active:  # the window's close button: stop, then close once stopped
            self._close_when_done = True
            self.reject()
            event.ignore()
            return
        super().closeEvent(event)


def _run_classes(run: RunRecord) -> list[str]:
    """The run's class names, as its evaluation recorded them."""
    return list(run.evaluation.classes if run.evaluation is not None else run.info.classes)


def _names(rows: list[_Row]) -> str:
    titles = [r.item.title for r in rows]
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
