"""Paths read from our files, and deleting what we made: the one place both are decided.

A project, run or split manifest names other files by relative path. Such a path is data an
attacker (or a hand edit) may have written, so every reader resolves it here: it must be
relative, must not climb out with ``..`` and, once symlinks are followed, must still lie inside
the folder it belongs to. Deleting is narrower still: only a direct child of the folder whose
name matches a pattern we generate, never through a symlink.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from designer.core.errors import UserError


class PathEscapeError(UserError, ValueError):
    """A path read from a file points outside the folder it has to stay in."""


def inside(folder: Path, relative: object, *, what: str) -> Path:
    """``folder / relative`` once checked to stay strictly inside `folder`.

    Refused with a PathEscapeError naming `what`: anything but a non-empty string, an absolute
    path (POSIX or Windows), a path with ``..`` parts, the folder itself, and a path that a
    symlink leads out of the folder. The returned path is the unresolved ``folder / relative``
    (what the user sees), whose real location has been checked.
    """
    parts = relative_parts(relative, what=what, folder=folder)
    candidate = folder.joinpath(*parts)
    if not is_within(candidate, folder):
        raise PathEscapeError(f"{what} {relative!r} is a link that leads outside {folder}")
    return candidate


def relative_parts(relative: object, *, what: str, folder: Path | str = "its folder") -> list[str]:
    """The components of a relative path that cannot leave its folder (checked as text only).

    For many paths at once (a split manifest's entries), where following symlinks is left to
    the moment the files are read; `inside` adds that check.
    """
    if not isinstance(relative, str) or not relative.strip() or "\0" in relative:
        raise PathEscapeError(f"{what} is not a file name: {relative!r}")
    parts = _parts(relative)
    if _is_absolute(relative) or ".." in parts:
        raise PathEscapeError(f"{what} {relative!r} points outside {folder}; only names inside "
                              "that folder are accepted")
    if not parts:
        raise PathEscapeError(f"{what} {relative!r} names {folder} itself, not something in it")
    return parts


def is_within(path: Path, folder: Path) -> bool:
    """True when `path`, with every symlink followed, lies strictly inside `folder`'s real path."""
    real_folder = Path(os.path.realpath(folder))
    real = Path(os.path.realpath(path))
    return real != real_folder and real.is_relative_to(real_folder)


def remove_generated(folder: Path, name: str, pattern: re.Pattern[str]) -> bool:
    """Delete ``folder / name`` only if it is ours: a direct child whose name matches `pattern`.

    A symlink of that name is unlinked (its target is never touched). Returns whether anything
    was removed; refusals are silent because callers clean up after a successful save.
    """
    if not pattern.fullmatch(name) or _parts(name) != [name]:
        return False
    path = folder / name
    try:
        if path.is_symlink():
            path.unlink()
            return True
        if not path.is_dir() or not is_within(path, folder):
            return False
        shutil.rmtree(path)
    except OSError:
        return False
    return True


def _parts(relative: str) -> list[str]:
    """Path components, splitting on both separators so a Windows-style path cannot hide '..'."""
    return [p for p in re.split(r"[\\/]", relative) if p not in ("", ".")]


def _is_absolute(relative: str) -> bool:
    return (PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute()
            or bool(PureWindowsPath(relative).drive) or relative.startswith(("/", "\\")))
