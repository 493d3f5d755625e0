"""What the export dialog asks of the desktop: a folder, a yes/no, the file manager.

Module-level functions so tests replace them (monkeypatch) instead of driving native dialogs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def choose_folder(parent: QWidget | None, start: Path) -> Path | None:
    """Ask for a folder to write into (None when the user cancels)."""
    folder = QFileDialog.getExistingDirectory(parent, "Export to folder", str(start))
    return Path(folder) if folder else None


def confirm_replace(parent: QWidget | None, folder: Path, names: list[str]) -> bool:
    """Ask before files the user already has are replaced."""
    listed = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    answer = QMessageBox.question(
        parent, "Replace files?",
        f"{listed} already {'exists' if len(names) == 1 else 'exist'} in {folder}.\n\n"
        f"Replace {'it' if len(names) == 1 else 'them'}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def show_folder(folder: Path) -> bool:
    """Open `folder` in the system's file manager; False if nothing could open it."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
