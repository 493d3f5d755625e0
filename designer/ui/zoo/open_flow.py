"""Opening a zoo model from the browser: ask for weights, show progress, recover from errors.

The heavy part runs through ``DesignSession.open_in_background``; this object only drives the
dialogs around it. Follow-up questions (offline, unsafe file) are asked when the session's open
task has fully finished, so the follow-up open can start at once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from designer.ui.session import DesignSession
from designer.ui.zoo.open_dialog import OpenModelDialog
from designer.ui.zoo.opening import OpenAttempt
from designer.ui.zoo.prompts import BrowserPrompts, OfflineChoice
from designer.zoo.bundled import LITE0, is_available
from designer.zoo.errors import OfflineError, UnsafeWeightsError
from designer.zoo.registry import WeightsChoice, get_entry

SHOW_PROGRESS_AFTER_MS = 300
_STEPS = 1000


class OpenFlow(QObject):
    """Drives one model open at a time for the browser."""

    #: the user asked to open (model id, weights choice) — emitted before the work starts
    open_requested = Signal(str, object)
    #: a model this flow opened is now the session's design (model id)
    opened = Signal(str)

    def __init__(self, session: DesignSession, prompts: BrowserPrompts,
                 parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.session = session
        self.prompts = prompts
        self._parent_widget = parent_widget
        self.attempt: OpenAttempt | None = None
        self.progress_dialog: QProgressDialog | None = None
        session.open_progress.connect(self._on_progress)
        session.open_ended.connect(self._on_task_finished)

    def ask_and_open(self, name: str, status: str) -> bool:
        """Show the weights dialog for ``name`` and start opening; False if the user declined."""
        dialog = OpenModelDialog(get_entry(name), status, self._parent_widget,
                                 file_chooser=lambda _parent: self.prompts.weights_file())
        try:
            if not self.prompts.choose_weights(dialog):
                return False
            weights = dialog.weights()
        finally:
            dialog.deleteLater()
        self.start(name, weights)
        return True

    def start(self, name: str, weights: WeightsChoice, *, allow_unsafe: bool = False,
              load_matching: bool = False) -> None:
        """Open ``name`` with ``weights`` in the background, with a progress dialog (an open
        still running is replaced: only the newest is shown)."""
        self._close_progress()
        self.attempt = OpenAttempt(name, weights, allow_unsafe, load_matching)
        self.open_requested.emit(name, weights)
        self._create_progress(name)
        self.session.open_with_preview(self.attempt)

    def cancel(self) -> None:
        """Cancel the open in progress (the download stops and leaves no partial file)."""
        if self.attempt is not None:
            self.session.cancel_open()

    # ----- progress --------------------------------------------------------------------
    def _create_progress(self, name: str) -> None:
        dialog = QProgressDialog(f"Opening {get_entry(name).display_name}…", "Cancel", 0, 0,
                                 self._parent_widget)
        dialog.setWindowTitle("Opening model")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(10**9)  # shown by our timer, not by setValue
        dialog.setMinimumWidth(360)
        dialog.canceled.connect(self.cancel)
        self.progress_dialog = dialog
        QTimer.singleShot(SHOW_PROGRESS_AFTER_MS, self._show_progress)

    def _show_progress(self) -> None:
        if self.progress_dialog is not None and self.attempt is not None:
            self.progress_dialog.show()

    def _on_progress(self, fraction: float, message: str) -> None:
        dialog = self.progress_dialog
        if dialog is None or self.attempt is None:
            return  # another component's open
        if fraction <= 0.0 or fraction >= 1.0:
            dialog.setRange(0, 0)  # busy: building / tracing reports no fraction
            text = message if fraction <= 0.0 else f"{message}\nBuilding the layer graph…"
        else:
            dialog.setRange(0, _STEPS)
            dialog.setValue(int(fraction * _STEPS))
            text = message
        dialog.setLabelText(text)

    def _close_progress(self) -> None:
        dialog, self.progress_dialog = self.progress_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel)
            dialog.hide()
            dialog.deleteLater()

    # ----- outcome ---------------------------------------------------------------------
    def _on_task_finished(self, opener: object) -> None:
        if opener is not self.attempt or self.attempt is None:
            return  # another component's open, or one this flow replaced
        attempt, self.attempt = self.attempt, None
        self._close_progress()
        design = self.session.design
        if attempt.report is not None:  # a weights file that fits in part
            if self.prompts.weights_mismatch(attempt.report):
                self.start(attempt.name, attempt.weights, load_matching=True)
            return
        if attempt.error is None:
            if design is not None and design.info.model_name == attempt.name:
                self.opened.emit(attempt.name)
            return
        if isinstance(attempt.error, OfflineError):
            self._after_offline(attempt)
        elif isinstance(attempt.error, UnsafeWeightsError):
            path = Path(str(attempt.weights))
            if self.prompts.confirm_unsafe(path, str(attempt.error)):
                self.start(attempt.name, path, allow_unsafe=True)

    def _after_offline(self, attempt: OpenAttempt) -> None:
        # short button text: "EfficientNet-Lite0", not its full display name
        bundled = get_entry(LITE0).display_name.split(" (")[0] if is_available(LITE0) else None
        choice = self.prompts.offline_choice(get_entry(attempt.name), str(attempt.error),
                                             bundled)
        if choice is OfflineChoice.RANDOM:
            self.start(attempt.name, "none")
        elif choice is OfflineChoice.IMPORT:
            path = self.prompts.weights_file()
            if path is not None:
                self.start(attempt.name, path)
        elif choice is OfflineChoice.BUNDLED:
            self.start(LITE0, "bundled")
