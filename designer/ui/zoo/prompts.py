"""Every question the model browser asks the user, in one replaceable object.

The browser never calls ``exec()`` itself: it goes through ``BrowserPrompts``, so tests (and a
future non-modal UI) can answer by replacing one method instead of fighting nested event loops.
"""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QDialog, QMessageBox, QWidget

from designer.surgery.import_report import ImportReport
from designer.ui.zoo.open_dialog import OpenModelDialog, ask_weights_file
from designer.zoo.entry import ZooEntry


class OfflineChoice(enum.Enum):
    """What to do when pretrained weights cannot be downloaded."""

    RANDOM = "random"
    IMPORT = "import"
    BUNDLED = "bundled"
    CANCEL = "cancel"


class BrowserPrompts:
    """Modal questions, answered by the user (tests substitute the methods)."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def choose_weights(self, dialog: OpenModelDialog) -> bool:
        """Show the open dialog; True when the user pressed Open."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def weights_file(self) -> Path | None:
        """Ask for a weights file to import."""
        return ask_weights_file(self.parent)

    def offline_choice(self, entry: ZooEntry, message: str, bundled: str | None) -> OfflineChoice:
        """No network: random weights, a file, or the bundled model (``bundled``: its name)."""
        box, answers = offline_box(self.parent, entry, message, bundled)
        box.exec()
        return answers.get(box.clickedButton(), OfflineChoice.CANCEL)

    def confirm_long_measure(self, count: int, seconds: float) -> bool:
        """Timing many (or huge) models takes a while: say how long, let the user decide."""
        answer = QMessageBox.question(
            self.parent, "Measure speed",
            f"Timing {count} models will take about {seconds / 60:.0f} minutes on this "
            "machine. You can cancel at any time and keep the results so far.\n\nStart?")
        return answer == QMessageBox.StandardButton.Yes

    def weights_mismatch(self, report: ImportReport) -> bool:
        """A weights file that fits in part: show its report; True to load the matching part."""
        from designer.ui.import_flow import ImportReportDialog

        dialog = ImportReportDialog(report, self.parent, offer_matching=True)
        dialog.exec()
        return dialog.load_matching

    def confirm_unsafe(self, path: Path, message: str) -> bool:
        """The file holds pickled Python code: load it only if the user trusts it."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Untrusted weights file", "",
                          parent=self.parent)
        box.setText(f"{path.name} contains pickled Python code, not only weights. Loading it "
                    "runs that code on this computer.")
        box.setInformativeText("Load anyway only if you trust its source (for example, you "
                               "saved it yourself).")
        box.setDetailedText(message)
        load = box.addButton("Load anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is load


def offline_box(parent: QWidget | None, entry: ZooEntry, message: str, bundled: str | None,
                ) -> tuple[QMessageBox, dict[QAbstractButton, OfflineChoice]]:
    """The "no network" question and what each of its buttons means."""
    box = QMessageBox(QMessageBox.Icon.Warning, "No network", "", parent=parent)
    box.setText(f"The pretrained weights of {entry.display_name} "
                f"({entry.file_size_mb or 0:.0f} MB) cannot be downloaded right now.")
    box.setInformativeText("You can still open it with random weights, import a weights file "
                           "you already have, or use a model that works offline.")
    box.setDetailedText(message)
    answers: dict[QAbstractButton, OfflineChoice] = {
        box.addButton("Open with random weights", QMessageBox.ButtonRole.AcceptRole):
            OfflineChoice.RANDOM,
        box.addButton("Import a weights file…", QMessageBox.ButtonRole.ActionRole):
            OfflineChoice.IMPORT,
    }
    if bundled is not None:
        answers[box.addButton(f"Open the bundled {bundled}",
                              QMessageBox.ButtonRole.ActionRole)] = OfflineChoice.BUNDLED
    box.addButton(QMessageBox.StandardButton.Cancel)
    return box, answers
