"""What the evaluation page asks of the desktop: open an image, choose image files.

Kept as module-level functions so tests replace them (monkeypatch) instead of driving a
native file dialog or launching an image viewer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from designer.data.formats import IMAGE_EXTENSIONS

_FILTER = "Images ({})".format(" ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS)))


def open_image(path: str) -> bool:
    """Open `path` in the system's image viewer; False if nothing could open it.

    The path comes from a run's evaluation.json, which is data anyone could have written, and
    the desktop opens whatever it is given with its default application (a script, a .desktop
    launcher): only an existing image file, also after following links, is handed over.
    """
    if not is_image_file(path) or not is_image_file(Path(path).resolve()):
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def choose_image_files(parent: QWidget | None) -> list[str]:
    """Ask for one or more image files (an empty list when the user cancels)."""
    files, _ = QFileDialog.getOpenFileNames(parent, "Classify images", "", _FILTER)
    return list(files)


def is_image_file(path: str | Path) -> bool:
    """True for an existing file with an image extension."""
    candidate = Path(path)
    return candidate.suffix.lower() in IMAGE_EXTENSIONS and candidate.is_file()


def image_paths(mime: QMimeData) -> list[str]:
    """Local image files in a drag (other URLs and folders are ignored)."""
    if not mime.hasUrls():
        return []
    local = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [p for p in local if is_image_file(p)]
