"""The top-level handler for errors that are bugs: log, tell the user, keep the app running.

Installed as `sys.excepthook` and `threading.excepthook` (and reached by background tasks and
by `DesignSession.edit` through `designer.workers.unexpected.report_unexpected`). For each
unexpected exception it writes the traceback to a file in the app's data folder (`logs/`),
then shows one non-modal dialog with the message, "Copy details" and "Save project…", so the
user can keep their work. Errors the user can fix (`UserError`) never come here: they are
messages in the views.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)


def default_log_dir() -> Path:
    """`logs/` in the app's data folder (e.g. ~/.local/share/NetDesigner/NetDesigner/logs)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netdesigner") / "logs"


class CrashHandler(QObject):
    """Logs unexpected exceptions from any thread and reports them on the GUI thread."""

    #: an unexpected error was logged (payload: message, details, log file) — GUI thread
    reported = Signal(str, str, object)
    _from_any_thread = Signal(str, str, object)

    def __init__(self, log_dir: Path | None = None,
                 save_project: Callable[[], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_dir = log_dir or default_log_dir()
        self.save_project = save_project
        self.dialog: CrashDialog | None = None
        self._parent = parent
        self._lock = threading.Lock()
        self._count = itertools.count(1)
        self._previous: tuple[Any, Any] | None = None
        self._from_any_thread.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # ----- installation ----------------------------------------------------------------
    def install(self) -> None:
        """Become the process's excepthook and threading.excepthook."""
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
            sys.excepthook = self.handle
            threading.excepthook = self._handle_thread

    def uninstall(self) -> None:
        """Put the previous hooks back (window closed, tests)."""
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
            self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    # ----- handling --------------------------------------------------------------------
    def handle(self, kind: type[BaseException], error: BaseException,
               tb: TracebackType | None) -> None:
        """Log `error` with its traceback and report it (callable from any thread)."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        message = f"{kind.__name__}: {error}" if str(error) else kind.__name__
        path = self._write(details)
        log.error("unexpected error (logged to %s)\n%s", path, details)
        try:
            self._from_any_thread.emit(message, details, path)
        except RuntimeError:  # the window (our parent) is already gone: the log is enough
            sys.__excepthook__(kind, error, tb)

    def _write(self, details: str) -> Path | None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        with self._lock:
            try:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                path = self.log_dir / f"crash-{stamp}-{os.getpid()}-{next(self._count)}.log"
                path.write_text(f"NetDesigner unexpected error, {time.ctime()}\n\n{details}",
                                encoding="utf-8")
            except OSError as error:  # a full disk must not turn one error into two
                log.warning("could not write the crash log: %s", error)
                return None
        return path

    def _show(self, message: str, details: str, path: object) -> None:
        log_file = path if isinstance(path, Path) else None
        if self.dialog is None:
            self.dialog = CrashDialog(self.save_project, self._parent)
        self.dialog.add(message, details, log_file)
        self.dialog.show()
        self.reported.emit(message, details, log_file)


class CrashDialog(QDialog):
    """"Something went wrong": the message, the log file, Copy details, Save project…"""

    def __init__(self, save_project: Callable[[], object] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("NetDesigner: unexpected error")
        self.setModal(False)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(readOnly=True)  # the traceback, for a bug report
        self.details.setMinimumHeight(120)
        self.details.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.hide)
        self.details_button = QPushButton("Show details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._show_details)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = QPushButton("Save project…")
        self.save_button.setEnabled(save_project is not None)
        self.save_button.clicked.connect(lambda: save_project() if save_project else None)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def add(self, message: str, details: str, log_file: Path | None) -> None:
        """Show this error (errors arriving while the dialog is open are appended)."""
        where = f"The details were saved in {log_file}." if log_file else \
            "The details could not be saved to a file; copy them below."
        self.summary.setText(
            f"Something went wrong inside NetDesigner:\n{message}\n\nThis is a bug, not "
            f"something you did. Your work is still open: save the project if you like. {where}")
        if not self.isHidden() and self.details.toPlainText():
            self.details.appendPlainText("\n" + details)
        else:
            self.details.setPlainText(details)

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def copy_details(self) -> None:
        """Put the summary and traceback on the clipboard (for a bug report)."""
        QGuiApplication.clipboard().setText(f"{self.summary.text()}\n\n"
                                            f"{self.details.toPlainText()}")
