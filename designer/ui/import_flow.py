"""File ▸ Open model file…: import a model file of the user's own and show its import report.

The work is `designer.surgery.import_file.open_file`, run through
``DesignSession.open_in_background``; this object asks the questions around it (which file,
which class in a Python file, which architecture a weights file is for, whether to run the
file's code) and shows the report. Like the browser's open flow, a question raised by the
worker (consent) is asked once the task has fully finished, then the import starts again.
Every question goes through `ImportPrompts`, so tests answer by replacing one method.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.core.trust import ConsentNeeded, TrustStore, file_sha256
from designer.surgery.design import Design
from designer.surgery.import_file import file_kind, open_file
from designer.surgery.import_report import ImportReport, ImportResult
from designer.ui.session import DesignSession
from designer.workers.task import TaskCancelled

MODEL_FILES = ("Model files (*.pt2 *.py *.onnx *.pt *.pth *.ts *.safetensors);;"
               "torch.export (*.pt2);;Python (*.py);;ONNX (*.onnx);;All files (*)")


def python_names(path: Path) -> list[str]:
    """Top-level classes (nn.Module-looking first) and functions of a Python file, read with
    `ast` — listing them runs none of its code."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, OSError):
        return []
    modules = [n.name for n in tree.body if isinstance(n, ast.ClassDef)
               and any("Module" in ast.unparse(base) for base in n.bases)]
    others = [n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)
              and n.name not in modules and not n.name.startswith("_")]
    return modules + others


class ImportReportDialog(QDialog):
    """The import report as text, a one-line verdict, and 'Load matching part' when offered."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None, *,
                 offer_matching: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import report")
        self.setMinimumSize(640, 420)
        self.load_matching = False
        verdict = QLabel(_verdict(report))
        verdict.setWordWrap(True)
        self.text = QPlainTextEdit(report.text())
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.matching_button: QPushButton | None = None
        if offer_matching:
            self.matching_button = self.buttons.addButton(
                "Load matching part", QDialogButtonBox.ButtonRole.AcceptRole)
            self.matching_button.clicked.connect(self._choose_matching)
        layout = QVBoxLayout(self)
        layout.addWidget(verdict)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.buttons)

    def _choose_matching(self) -> None:
        self.load_matching = True
        self.accept()


def _verdict(report: ImportReport) -> str:
    name = Path(report.path).name
    if report.editable and report.check is not None and not report.check.passed:
        return (f"<b>{name}</b> was imported, but its outputs differ from the source "
                f"(max |diff| {report.check.max_abs_diff:.2e}): check before training.")
    if report.editable:
        opaque = f", {len(report.opaque)} opaque" if report.opaque else ""
        return (f"<b>{name}</b> is open as an editable graph ({report.layers} layers{opaque})."
                + (" <i>ONNX import is experimental.</i>" if report.experimental else ""))
    return f"<b>{name}</b> cannot be opened as an editable graph: see what you can do below."


class ImportPrompts:
    """The questions of an import, answered by the user (tests replace the methods)."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def model_file(self) -> Path | None:
        """Ask for the file to open."""
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open model file", "", MODEL_FILES)
        return Path(path) if path else None

    def factory_name(self, path: Path, names: list[str]) -> str | None:
        """Which class or function in a Python file builds the model."""
        name, ok = QInputDialog.getItem(
            self.parent, "Open Python model", f"Class or function in {path.name} that builds "
            "the model (called with no arguments):", names or [""], 0, True)
        return name.strip() if ok and name.strip() else None

    def architecture(self, path: Path, names: list[str]) -> str | None:
        """Which zoo architecture a weights file belongs to."""
        name, ok = QInputDialog.getItem(
            self.parent, "Weights file", f"{path.name} holds only weights. Which architecture "
            "were they saved from?", names, 0, True)
        return name.strip() if ok and name.strip() else None

    def consent(self, path: Path, question: str) -> bool:
        """Running the file's code: ask plainly, default to No."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Run code from this file?", "",
                          parent=self.parent)
        box.setText(question)
        box.setInformativeText("NetDesigner remembers your answer for this exact file (its "
                               "SHA-256); if the file changes you are asked again.")
        run = box.addButton("Run it", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Don't run", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(QMessageBox.StandardButton.NoButton)
        box.exec()
        return box.clickedButton() is run

    def show_report(self, report: ImportReport, offer_matching: bool) -> bool:
        """Show the report; True when the user chose to load the matching part."""
        dialog = ImportReportDialog(report, self.parent, offer_matching=offer_matching)
        dialog.exec()
        return dialog.load_matching


class _Stopped(TaskCancelled):
    """The import ended without a design (a question to ask, or a report to show)."""


@dataclass
class _Attempt:
    path: Path
    name: str | None = None
    trust: bool | None = None
    model: str | None = None
    load_matching: bool = False
    store: TrustStore | None = None
    result: ImportResult | None = None
    consent: ConsentNeeded | None = None

    def __call__(self, progress: Callable[[float, str], None],
                 cancelled: Callable[[], bool]) -> Design:
        progress(0.0, f"Importing {self.path.name}…")
        try:
            self.result = open_file(self.path, name=self.name, trust=self.trust,
                                    model=self.model, load_matching=self.load_matching,
                                    trust_store=self.store)
        except ConsentNeeded as question:
            self.consent = question
            raise _Stopped(str(question)) from question
        if self.result.design is None:
            raise _Stopped(self.result.report.came_in)
        return self.result.design


class ImportFlow(QObject):
    """Drives one import at a time for the main window."""

    #: the import ended with this report (shown to the user already)
    finished = Signal(object)

    def __init__(self, session: DesignSession, prompts: ImportPrompts,
                 parent: QObject | None = None, trust_store: TrustStore | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.prompts = prompts
        self.trust_store = trust_store or TrustStore()
        self.attempt: _Attempt | None = None
        session.open_runner.finished.connect(self._on_task_finished)

    def ask_and_open(self) -> bool:
        """Ask for a file and import it; False when the user cancelled."""
        path = self.prompts.model_file()
        return path is not None and self.start(path)

    def start(self, path: Path, *, name: str | None = None, trust: bool | None = None,
              model: str | None = None, load_matching: bool = False) -> bool:
        """Import `path` in the background (asking what the file itself cannot say first)."""
        if self.session.open_runner.running:
            self.session.error_occurred.emit("A model is already being opened; wait or cancel "
                                              "it first.")
            return False
        kind = file_kind(path)
        if kind == "python" and name is None:
            name = self.prompts.factory_name(path, python_names(path))
            if name is None:
                return False
        if kind == "weights" and model is None:
            from designer.zoo.registry import list_entries

            model = self.prompts.architecture(path, [e.name for e in list_entries()])
            if model is None:
                return False
        self.attempt = _Attempt(path, name, trust, model, load_matching, self.trust_store)
        self.session.open_in_background(self.attempt)
        return True

    def _on_task_finished(self) -> None:
        attempt, self.attempt = self.attempt, None
        if attempt is None:
            return  # another component's open
        if attempt.consent is not None:
            self._ask_consent(attempt)
        elif attempt.result is not None:
            report = attempt.result.report
            weights = report.weights
            offer = weights is not None and not weights.fits and weights.loadable \
                and not attempt.load_matching
            if self.prompts.show_report(report, offer):
                self.start(attempt.path, name=attempt.name, trust=attempt.trust,
                           model=attempt.model, load_matching=True)
            self.finished.emit(report)

    def _ask_consent(self, attempt: _Attempt) -> None:
        question = attempt.consent
        assert question is not None
        if self.prompts.consent(attempt.path, question.question):
            self.start(attempt.path, name=attempt.name, trust=True, model=attempt.model,
                       load_matching=attempt.load_matching)
        else:
            self.trust_store.remember(file_sha256(attempt.path), False, attempt.path)
            self.session.status.emit(f"Did not run the code in {attempt.path.name}")
