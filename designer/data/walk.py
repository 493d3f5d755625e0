"""Walk a data folder without ever stopping or looping: every odd entry becomes a report line.

Symbolic links are followed only while they stay inside the data folder (a shared dataset must
not make us read ``~/.ssh`` or walk ``/``); loops, dangling links, unreadable folders and special
files (a named pipe would block a read forever) are recorded in ``problems`` and skipped.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal

from designer.data.formats import JUNK_NAMES
from designer.data.skipped import BadFile, check_file
from designer.data.sources import split_of_folder

EntryKind = Literal["dir", "file"]


def hidden(name: str) -> bool:
    """Dot files and the junk every OS scatters into folders: never worth a report line."""
    return name.startswith(".") or name.lower() in JUNK_NAMES


class FolderWalker:
    """Lists the class folders and files under one data folder; see the module docstring."""

    def __init__(self, base: Path) -> None:
        self.base = os.path.realpath(base)
        self.problems: list[BadFile] = []
        self._reported: set[Path] = set()

    def kind(self, path: Path, entry: os.DirEntry[str] | None = None) -> EntryKind | None:
        """"dir", "file", or None for an entry that is skipped (and reported when it matters)."""
        if entry is not None and not entry.is_symlink():
            try:  # d_type from the directory listing: no extra system call
                if entry.is_dir(follow_symlinks=False):
                    return "dir"
                if entry.is_file(follow_symlinks=False):
                    return "file"
            except OSError:
                pass
            self._special(path)
            return None
        if os.path.islink(path):
            return self._link(path)
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            self._report(path, f"cannot read ({exc.strerror or exc})", "unreadable")
            return None
        return self._by_mode(path, mode)

    def class_dirs(self, folder: Path) -> list[tuple[str, Path]]:
        """(class name, folder) for each visible sub-folder, sorted."""
        return [(e.name, Path(e.path)) for e in self._entries(folder)
                if self.kind(Path(e.path), e) == "dir"]

    def loose_images(self, folder: Path) -> list[BadFile]:
        """Images lying directly in a folder that should only hold class folders."""
        loose = []
        for entry in self._entries(folder):
            path = Path(entry.path)
            if self.kind(path, entry) == "file" and check_file(path) is None:
                loose.append(BadFile(path, "image is not inside a class folder; move it into one",
                                     "no_class"))
        return loose

    def other_top_level(self, root: Path, splits: set[Path]) -> list[BadFile]:
        """Folders beside train/val/test that a split layout does not use."""
        out = []
        for entry in self._entries(root):
            path = Path(entry.path)
            if path in splits or self.kind(path, entry) != "dir":
                continue
            why = ("a second folder for the same split" if split_of_folder(entry.name)
                   else "not a train, val or test folder")
            out.append(BadFile(path, f"{why}: ignored, because this data has split folders",
                               "ignored_folder"))
        return out

    def files(self, folder: Path) -> list[Path]:
        """Files under ``folder`` recursively, sorted; each folder is listed at most once, and a
        link back to a folder that holds ``folder`` (a loop) is reported instead of followed."""
        out: list[Path] = []
        top = os.path.realpath(folder)
        seen: set[str] = set()
        stack = [folder]
        while stack:
            current = stack.pop()
            real = os.path.realpath(current)
            if real in seen or (current != folder and _contains(real, top)):
                self._report(current, "symbolic link back to a folder that is already scanned: "
                             "skipped so no image is counted twice", "link_loop")
                continue
            seen.add(real)
            for entry in self._entries(current):
                path = Path(entry.path)
                kind = self.kind(path, entry)
                if kind == "dir":
                    stack.append(path)
                elif kind == "file":
                    out.append(path)
        return sorted(out)

    def _entries(self, folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self._report(folder, f"cannot open folder ({exc.strerror or exc}): its images are "
                         "not used; check its permissions", "unreadable_folder")
            return []
        return [e for e in entries if not hidden(e.name)]

    def _link(self, path: Path) -> EntryKind | None:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._report(path, "symbolic link loop (it leads back to itself): remove it",
                             "link_loop")
            else:
                target = _target(path)
                self._report(path, f"broken symbolic link (its target {target} does not exist)",
                             "broken_link")
            return None
        real = os.path.realpath(path)
        if not _contains(self.base, real):
            self._report(path, f"symbolic link to {real}, outside the data folder: not followed; "
                         "copy the images into the data folder to use them", "outside_link")
            return None
        return self._by_mode(path, mode)

    def _by_mode(self, path: Path, mode: int) -> EntryKind | None:
        if stat.S_ISDIR(mode):
            return "dir"
        if stat.S_ISREG(mode):
            return "file"
        self._special(path)
        return None

    def _special(self, path: Path) -> None:
        self._report(path, "not a regular file (a pipe, socket or device): skipped", "not_image")

    def _report(self, path: Path, reason: str, kind: str) -> None:
        if path not in self._reported:  # an entry may be looked at twice (root of a split layout)
            self._reported.add(path)
            self.problems.append(BadFile(path, reason, kind))


def _target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _contains(folder: str, path: str) -> bool:
    """True when the resolved ``path`` is ``folder`` or lies inside it."""
    return os.path.commonpath([folder, path]) == folder
