"""Find a dataset's images and their classes, fast: a few header bytes per file, no decoding.

Bad files (empty, not an image, unsupported format) and folders that give no image are listed
with a reason rather than stopping the import (walking the folders is designer.data.walk's job);
full decode checks (truncation, corrupt pixels) belong to the health report.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from designer.data.errors import DataSourceError, OperationCancelledError
from designer.data.skipped import BadFile, check_file
from designer.data.sources import ClassFolders, split_folders
from designer.data.walk import FolderWalker

__all__ = ["BadFile", "DataScan", "Sample", "check_file", "scan", "scan_class_folders", "scan_folder"]

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Sample:
    """One image and its class index; ``split`` is set when the folders already define splits."""

    path: Path
    label: int
    split: str | None = None


@dataclass
class DataScan:
    """Result of scanning a source: classes (sorted), usable samples and skipped files."""

    root: Path
    classes: list[str]
    samples: list[Sample]
    bad_files: list[BadFile] = field(default_factory=list)
    layout: str = "class_folders"  # or "split_folders", "class_mapping"

    @property
    def has_splits(self) -> bool:
        """True when the folders define train/val/test and a split manifest must keep them."""
        return self.layout == "split_folders"

    def counts(self) -> dict[str, int]:
        """Images per class name (every class listed, 0 included)."""
        per_label = Counter(s.label for s in self.samples)
        return {name: per_label.get(i, 0) for i, name in enumerate(self.classes)}

    def without(self, bad: Iterable[BadFile]) -> DataScan:
        """Copy with these files moved from ``samples`` to ``bad_files`` (after a health check)."""
        bad = list(bad)
        drop = {b.path for b in bad}
        kept = [s for s in self.samples if s.path not in drop]
        known = {b.path for b in self.bad_files}
        extra = [b for b in bad if b.path not in known]
        return replace(self, samples=kept, bad_files=[*self.bad_files, *extra])


def scan(
    source: Path | str | ClassFolders,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> DataScan:
    """Scan a folder (class sub-folders, or train/val/test folders) or a ClassFolders mapping."""
    if isinstance(source, ClassFolders):
        return scan_class_folders(source, progress, cancel)
    return scan_folder(Path(source), progress, cancel)


def scan_folder(root: Path, progress: Progress | None = None, cancel: Cancel | None = None) -> DataScan:
    """Scan ``root``: one sub-folder per class (nested folders belong to it) or split folders.

    Problem folders (empty, no images, unreadable, looping or escaping links) are listed in
    ``bad_files`` with a folder ``kind`` instead of stopping the scan or vanishing.
    """
    root = Path(root).absolute()
    if not root.is_dir():
        raise DataSourceError(
            f"dataset folder not found: {root}. Choose a folder that holds one sub-folder per class."
        )
    walker = FolderWalker(root)
    try:
        splits = split_folders(root)
    except OSError as exc:
        raise DataSourceError(
            f"cannot open the dataset folder {root} ({exc.strerror or exc}); check its permissions."
        ) from exc
    if splits is not None:
        groups: list[tuple[str | None, Path]] = list(splits.items())
        bad = walker.other_top_level(root, set(splits.values())) + walker.loose_images(root)
        layout = "split_folders"
    else:
        groups, bad, layout = [(None, root)], [], "class_folders"
    folders: list[_ClassFolder] = []
    for split, folder in groups:
        bad.extend(walker.loose_images(folder))
        folders += [_ClassFolder(name, split, d, walker.files(d)) for name, d in walker.class_dirs(folder)]
    bad.extend(walker.problems)
    return _build(root, folders, bad, layout, progress, cancel)


def scan_class_folders(
    source: ClassFolders, progress: Progress | None = None, cancel: Cancel | None = None
) -> DataScan:
    """Scan an explicit class -> folders mapping; ``source.extensions``/``exclude`` filter files."""
    mapping = source.folders()
    if not mapping:
        raise DataSourceError("no classes given: map at least one class name to a folder")
    folders: list[_ClassFolder] = []
    bad: list[BadFile] = []
    for name, paths in mapping.items():
        for folder in paths:
            if not folder.is_dir():
                raise DataSourceError(
                    f"folder for class {name!r} not found: {folder}. Fix the path or drop the class."
                )
            walker = FolderWalker(folder)
            files = [p for p in walker.files(folder) if source.accepts(p)]
            folders.append(_ClassFolder(name, None, folder, files))
            bad.extend(walker.problems)
    all_dirs = [str(p.absolute()) for paths in mapping.values() for p in paths]
    root = Path(os.path.commonpath(all_dirs))
    return _build(root, folders, bad, "class_mapping", progress, cancel, classes=sorted(mapping))


@dataclass(frozen=True)
class _ClassFolder:
    """One folder whose files belong to class ``name`` (in ``split`` when folders define splits)."""

    name: str
    split: str | None
    path: Path
    files: list[Path]


def _build(
    root: Path,
    folders: list[_ClassFolder],
    bad: list[BadFile],
    layout: str,
    progress: Progress | None,
    cancel: Cancel | None,
    classes: list[str] | None = None,
) -> DataScan:
    """Check each file's first bytes and assemble the scan (sorted: stable across runs).

    Without explicit ``classes`` a class exists only where at least one of its files looks
    like an image: a folder of notes is reported, not turned into a class of 0 images.
    """
    good: list[tuple[str, str | None, Path]] = []
    reported = {b.path for b in bad}  # e.g. an unreadable folder: one line is enough
    total = sum(len(f.files) for f in folders)
    done = 0
    for folder in folders:
        usable = 0
        for path in folder.files:
            if cancel is not None and done % 64 == 0 and cancel():
                raise OperationCancelledError("scan cancelled")
            problem = check_file(path)
            if problem is None:
                good.append((folder.name, folder.split, path))
                usable += 1
            else:
                bad.append(problem)
            done += 1
            if progress is not None and (done % 256 == 1 or done == total):
                progress(done / total, f"scanned {done} of {total} files")
        if usable == 0 and folder.path not in reported:
            bad.append(_unused_folder(folder, explicit=classes is not None))
    classes = classes if classes is not None else sorted({name for name, _, _ in good})
    if not classes:
        raise DataSourceError(_nothing_found(root, bad))
    index = {name: i for i, name in enumerate(classes)}
    samples = [Sample(path, index[name], split) for name, split, path in good]
    samples.sort(key=lambda s: (s.label, s.split or "", str(s.path)))
    bad.sort(key=lambda b: str(b.path))
    return DataScan(root, classes, samples, bad, layout)


def _unused_folder(folder: _ClassFolder, explicit: bool) -> BadFile:
    """The report line of a class folder that gave no image."""
    what = f"no images for class {folder.name!r} here" if explicit else "not used as a class"
    if folder.split is not None:
        what = f"adds no {folder.split} images to class {folder.name!r}"
    if not folder.files:
        return BadFile(folder.path, f"empty folder: {what}", "empty_folder")
    n = len(folder.files)
    return BadFile(folder.path, f"no images in this folder ({n} other file{'s' * (n > 1)}): {what}",
                   "no_images")


def _nothing_found(root: Path, bad: list[BadFile]) -> str:
    text = (f"no class folders with images in {root}. Put the images of each class in its own "
            "sub-folder (e.g. cats/, dogs/), optionally inside train/, val/ and test/ folders.")
    folders = sorted((b for b in bad if b.is_folder), key=lambda b: str(b.path))
    if folders:
        shown = "; ".join(f"{b.path.name}: {b.reason}" for b in folders[:3])
        more = f" (and {len(folders) - 3} more)" if len(folders) > 3 else ""
        text += f" Found: {shown}{more}."
    return text
