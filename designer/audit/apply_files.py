""""Apply to files": make the data folder itself say what a dataset version says, and undo it.

A relabelled image moves to its new class folder, an excluded one into the quarantine folder
``.netdesigner/excluded/`` inside the data folder (hidden, so no scan takes it for a class);
nothing is ever deleted or overwritten (a name already taken gets " (2)", " (3)", ...).

Crash safety: the whole plan is written to a journal (``.netdesigner/apply-0001.json``) before
the first file moves. A move is a hard link to the new name followed by removing the old one,
so after a kill every file is at its old name, its new name or (for one file) both, with the
same content; `finish` completes an interrupted apply and `undo` takes every file back from any
of these states, then removes the journal and the folders the apply created (only when empty).

A journal is data: every path in it is resolved and must stay inside the data folder, outside
our own folder except the quarantine; anything else refuses the whole journal.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from designer.core.errors import UserError
from designer.core.paths import PathEscapeError, inside, is_within
from designer.data import SplitManifest
from designer.data.sources import split_folders
from designer.data.split import ManifestEntry
from designer.project.data_config import DataConfig
from designer.project.dataset_versions import DatasetEdits, DatasetVersionError, DatasetVersions
from designer.training.run_dir import write_json

OURS = ".netdesigner"
QUARANTINE = f"{OURS}/excluded"
_JOURNAL = re.compile(r"apply-(\d{4,})\.json")
FORMAT = "netdesigner.apply-journal"
State = Literal["applying", "applied", "undoing"]
Progress = Callable[[float, str], None]
#: link() errors after which a plain rename (checked not to overwrite) is used instead
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES}


class ApplyError(UserError, ValueError):
    """The files cannot be moved (or moved back), with what to do."""


@dataclass(frozen=True)
class FileMove:
    """One file: from ``source`` to ``target`` (both relative to the data folder)."""

    source: str
    target: str
    reason: str  # "relabel" or "exclude"


@dataclass(frozen=True)
class ApplyPlan:
    """Every move "apply to files" will make, and the folders it will create (in order)."""

    root: Path
    moves: tuple[FileMove, ...]
    folders: tuple[str, ...]
    missing: tuple[str, ...]  # edited files that are not in the folder (left alone)
    version: int | None  # the dataset version applied
    edits: DatasetEdits
    emptied: tuple[str, ...] = ()  # class folders the moves leave without a file

    def summary(self) -> str:
        """'3 files move: 2 to another class folder, 1 into .netdesigner/excluded'."""
        relabel = sum(m.reason == "relabel" for m in self.moves)
        excluded = len(self.moves) - relabel
        parts = [f"{relabel} to another class folder"] * bool(relabel)
        parts += [f"{excluded} into {QUARANTINE}"] * bool(excluded)
        text = (f"{len(self.moves)} file(s) move: " + ", ".join(parts) if self.moves
                else "No file needs to move")
        if self.missing:
            text += f"; {len(self.missing)} edited file(s) are no longer in the folder"
        text += ". Nothing is deleted or overwritten; Undo apply puts every file back."
        if self.emptied:
            text += (f" Warning: {', '.join(self.emptied)} would be left without images, so "
                     "that class disappears from the data.")
        return text

    def remap(self, manifest: SplitManifest) -> SplitManifest:
        """The split with each moved file under its new name (excluded files already left it)."""
        where = {m.source: m.target for m in self.moves}
        return replace(manifest, entries=[ManifestEntry(where.get(e.path, e.path), e.label, e.split)
                                          for e in manifest.entries])


@dataclass(frozen=True)
class Journal:
    """What an apply wrote before moving anything (see the module docstring)."""

    root: Path
    number: int
    state: State
    plan: ApplyPlan

    @property
    def path(self) -> Path:
        return self.root / OURS / f"apply-{self.number:04d}.json"

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {"format": FORMAT, "number": self.number, "state": self.state,
                "created": time.time(), "dataset_version": plan.version,
                "edits": plan.edits.to_dict(), "folders": list(plan.folders),
                "missing": list(plan.missing),
                "moves": [[m.source, m.target, m.reason] for m in plan.moves]}


# ----- planning -------------------------------------------------------------------------------
def plan_apply(root: Path, edits: DatasetEdits, version: int | None = None) -> ApplyPlan:
    """The moves that make the folder ``root`` match ``edits`` (nothing is touched)."""
    root = Path(root)
    if not root.is_dir():
        raise ApplyError(f"{root} is not a folder; apply to files works on your own image folder.")
    split_layout = split_folders(root) is not None
    taken: set[str] = set()
    moves: list[FileMove] = []
    missing: list[str] = []
    for source in sorted(set(edits.relabelled) | edits.excluded):
        path = _inside(root, source)
        if not path.is_file():
            missing.append(source)
            continue
        parts = PurePosixPath(source).parts
        if source in edits.excluded:
            folder, reason = f"{QUARANTINE}/{PurePosixPath(source).parent.as_posix()}", "exclude"
        else:
            depth = 2 if split_layout else 1
            if len(parts) <= depth:
                raise ApplyError(f"{source} is not inside a class folder, so it cannot be moved "
                                 "to another class; move it by hand.")
            folder = "/".join([*parts[:depth - 1], _class_folder(edits.relabelled[source])])
            if parts[depth - 1] == PurePosixPath(folder).name:
                continue  # already in its class folder
            reason = "relabel"
        target = _free_name(root, folder.removesuffix("/."), parts[-1], taken)
        taken.add(target)
        moves.append(FileMove(source, target, reason))
    folders: list[str] = []
    for move in moves:
        for parent in reversed(PurePosixPath(move.target).parents[:-1]):
            name = parent.as_posix()
            if name != OURS and name not in folders and not (root / name).exists():
                folders.append(name)
    depth = 2 if split_layout else 1
    return ApplyPlan(root, tuple(moves), tuple(folders), tuple(missing), version, edits,
                     _emptied(root, moves, depth))


def _emptied(root: Path, moves: list[FileMove], depth: int) -> tuple[str, ...]:
    """Class folders that hold no file once the moves are made."""
    def folder(path: str) -> str:
        return "/".join(PurePosixPath(path).parts[:depth])

    leaving = Counter(folder(m.source) for m in moves)
    arriving = Counter(folder(m.target) for m in moves if m.reason == "relabel")
    out = []
    for name, n in sorted(leaving.items()):
        files = sum(1 for p in (root / name).rglob("*") if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(root).parts))
        if files - n + arriving[name] <= 0:
            out.append(name)
    return tuple(out)


def _class_folder(name: str) -> str:
    if not name or name in (".", "..") or name.startswith(".") or re.search(r"[\\/\0]", name):
        raise ApplyError(f"{name!r} cannot be a class folder's name; relabel to another class.")
    return name


def _free_name(root: Path, folder: str, name: str, taken: set[str]) -> str:
    """``folder/name``, or ``folder/stem (2).ext`` ... when that name is in use."""
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    for n in range(1, 100_000):
        candidate = f"{folder}/{name if n == 1 else f'{stem} ({n}){suffix}'}"
        if candidate not in taken and not os.path.lexists(root / candidate):
            return candidate
    raise ApplyError(f"no free name for {name} in {folder}")


# ----- journals -------------------------------------------------------------------------------
def journals(root: Path) -> list[int]:
    """Numbers of the applies recorded in ``root`` (oldest first)."""
    folder = Path(root) / OURS
    if not folder.is_dir() or not is_within(folder, Path(root)):
        return []
    found = (_JOURNAL.fullmatch(p.name) for p in folder.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def latest(root: Path) -> Journal | None:
    """The newest apply of ``root`` (None when there is none); ApplyError when it is refused."""
    numbers = journals(root)
    return load_journal(Path(root), numbers[-1]) if numbers else None


def load_journal(root: Path, number: int) -> Journal:
    """Read and check journal ``number`` (every path must stay inside ``root``)."""
    path = root / OURS / f"apply-{int(number):04d}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ApplyError(f"the apply journal {path} cannot be read ({error}); the files were "
                         "left as they are.") from error
    try:
        return _journal(root, number, data)
    except (KeyError, TypeError, ValueError, PathEscapeError, DatasetVersionError) as error:
        raise ApplyError(f"the apply journal {path} was refused ({error}); no file was moved."
                         ) from error


def _journal(root: Path, number: int, data: Any) -> Journal:
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError("not a NetDesigner apply journal")
    if data.get("number") != number or data.get("state") not in ("applying", "applied", "undoing"):
        raise ValueError("its number or state is wrong")
    moves = tuple(FileMove(_checked(root, s), _checked(root, t, ours=r == "exclude"), str(r))
                  for s, t, r in data["moves"])
    if any(m.reason not in ("relabel", "exclude") for m in moves):
        raise ValueError("a move has an unknown reason")
    folders = tuple(_checked(root, f, ours=True) for f in data.get("folders") or [])
    version = data.get("dataset_version")
    plan = ApplyPlan(root, moves, folders, tuple(str(m) for m in data.get("missing") or []),
                     None if version is None else int(version),
                     DatasetEdits.from_dict(data.get("edits")))
    return Journal(root, number, data["state"], plan)


def _checked(root: Path, relative: object, *, ours: bool = False) -> str:
    """A journal's path: inside ``root`` (links followed), and inside our folder only in the
    quarantine (``ours``: that is allowed)."""
    path = _inside(root, relative)
    parts = PurePosixPath(str(relative).replace("\\", "/")).parts
    if parts[0] == OURS and not (ours and parts[:2] == tuple(QUARANTINE.split("/"))):
        raise PathEscapeError(f"{relative!r} is inside NetDesigner's own folder {OURS}")
    return path.relative_to(root).as_posix()


def _inside(root: Path, relative: object) -> Path:
    return inside(root, relative, what="a file to move")


# ----- doing it -------------------------------------------------------------------------------
def apply(plan: ApplyPlan, progress: Progress | None = None) -> Journal:
    """Write the journal, then make every move of ``plan``; returns the finished journal."""
    root = plan.root
    previous = latest(root)
    if previous is not None and previous.state != "applied":
        raise ApplyError("an earlier apply to files was interrupted: finish it or undo it first.")
    if not plan.moves:
        raise ApplyError("no file needs to move: the folder already matches this version.")
    ours = root / OURS
    if ours.is_symlink() or (ours.exists() and not is_within(ours, root)):
        raise ApplyError(f"{ours} is a link; NetDesigner keeps its moved files inside the data "
                         "folder. Remove the link and try again.")
    number = max(journals(root), default=0) + 1
    journal = Journal(root, number, "applying", plan)
    write_json(journal.path, journal.to_dict())  # before any file moves
    return finish(journal, progress)


def finish(journal: Journal, progress: Progress | None = None) -> Journal:
    """Complete an apply (also one a kill interrupted): the remaining moves, then "applied"."""
    if journal.state == "undoing":
        raise ApplyError("an undo of this apply was interrupted: undo it again to finish.")
    root, plan = journal.root, journal.plan
    for folder in plan.folders:
        path = _inside(root, folder)
        path.mkdir(exist_ok=True)
        if not is_within(path, root):
            raise ApplyError(f"{path} leads outside the data folder; nothing more was moved.")
    for i, move in enumerate(plan.moves):
        _move(root, move.source, move.target)
        if progress is not None:
            progress((i + 1) / len(plan.moves), f"moved {i + 1} of {len(plan.moves)} files")
    done = replace(journal, state="applied")
    write_json(done.path, done.to_dict())
    return done


def undo(root: Path, progress: Progress | None = None) -> Journal:
    """Move every file of the newest apply back, remove its journal and the folders it made
    (when empty); returns that journal (its version and edits are what the data was before)."""
    journal = latest(root)
    if journal is None:
        raise ApplyError(f"nothing to undo: no apply to files is recorded in {root}.")
    undoing = replace(journal, state="undoing")
    write_json(undoing.path, undoing.to_dict())
    moves = journal.plan.moves
    for i, move in enumerate(reversed(moves)):
        _move(journal.root, move.target, move.source)
        if progress is not None:
            progress((i + 1) / len(moves), f"moved back {i + 1} of {len(moves)} files")
    undoing.path.unlink()
    _remove_empty(journal.root, [*reversed(journal.plan.folders), QUARANTINE, OURS])
    return journal


def _remove_empty(root: Path, folders: Iterable[str]) -> None:
    """Remove these folders (ours) when they are empty; anything in them keeps them."""
    for folder in folders:
        path = root / folder
        if path.is_dir() and not path.is_symlink() and is_within(path, root):
            with contextlib.suppress(OSError):  # not empty: someone put something there
                path.rmdir()


def _move(root: Path, source: str, target: str) -> None:
    """Move one file without ever overwriting; repeatable after a kill at any point."""
    src, dst = _inside(root, source), _inside(root, target)
    has_src, has_dst = os.path.lexists(src), os.path.lexists(dst)
    if has_dst and not has_src:
        return  # done before
    if has_src and has_dst:
        a, b = os.lstat(src), os.lstat(dst)
        if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
            os.unlink(src)  # a kill came between the link and the unlink
            return
        raise ApplyError(f"{target} exists and is not the file from {source}: nothing was "
                         "overwritten. Move one of them away and try again.")
    if not has_src:
        raise ApplyError(f"{source} is missing: it was moved or deleted outside NetDesigner. "
                         "Put it back and try again.")
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError as error:
        raise ApplyError(f"{target} appeared while moving: nothing was overwritten.") from error
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise ApplyError(f"cannot move {source} to {target}: {error.strerror or error}"
                             ) from error
        if os.path.lexists(dst):  # no hard links here: rename, having checked the name is free
            raise ApplyError(f"{target} appeared while moving: nothing was overwritten.") from error
        os.rename(src, dst)
        return
    os.unlink(src)


# ----- the project's side: which dataset version the folder now holds ---------------------------
_APPLIED_NOTE = "written to the files"


def data_folder(source: str) -> Path:
    """The folder a data source string names; ApplyError for the samples (never changed)."""
    if source.startswith("sample:"):
        raise ApplyError("apply to files works on your own image folder; the sample data is "
                         "never changed. Choose your folder on the Data page.")
    root = Path(source).expanduser()
    if not root.is_dir():
        raise ApplyError(f"{root} is not a folder.")
    return root


def config_after_apply(config: DataConfig, journal: Journal, manifest: SplitManifest,
                       project_folder: Path) -> DataConfig:
    """Save the version the folder now holds (``manifest``, the edited split, with the moved
    files' new names; only the reviewed marks remain as edits) and return its config."""
    where = {m.source: m.target for m in journal.plan.moves}
    edits = DatasetEdits(reviewed=frozenset(where.get(p, p) for p in config.edits.reviewed
                                            if p not in config.edits.excluded))
    version = DatasetVersions(project_folder).save(
        edits, journal.plan.remap(manifest), config.dataset_version,
        note=f"v{config.dataset_version} {_APPLIED_NOTE} (apply-{journal.number:04d})")
    return replace(config, dataset_version=version.number, edits=edits)


def config_after_undo(config: DataConfig, journal: Journal) -> DataConfig:
    """The config of the version the undone apply had written (its edits, as before)."""
    return replace(config, dataset_version=journal.plan.version, edits=journal.plan.edits)


def is_applied_version(config: DataConfig, project_folder: Path) -> bool:
    """Whether the config's version is one "apply to files" made (undo it with `undo`)."""
    if config.dataset_version is None:
        return False
    try:
        note = DatasetVersions(project_folder).load(config.dataset_version).note
    except DatasetVersionError:
        return False
    return _APPLIED_NOTE in note
