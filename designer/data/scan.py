"""Find a dataset's images and their classes, fast: a few header bytes per file, no decoding.

Bad files (empty, not an image, unsupported format) are listed with a reason rather than stopping
the import; full decode checks (truncation, corrupt pixels) belong to the health report.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from designer.data.errors import DataSourceError, OperationCancelledError
from designer.data.formats import JUNK_NAMES, SNIFF_BYTES, not_image_reason, sniff_format
from designer.data.sources import ClassFolders, split_folders

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Sample:
    """One image and its class index; ``split`` is set when the folders already define splits."""

    path: Path
    label: int
    split: str | None = None


@dataclass(frozen=True)
class BadFile:
    """A file that was skipped, with a reason a user can act on.

    ``kind`` is one of: empty, not_image, unreadable, truncated, corrupt, too_large, no_class.
    """

    path: Path
    reason: str
    kind: str = "corrupt"


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
    """Scan ``root``: one sub-folder per class (nested folders belong to it) or split folders."""
    root = Path(root).absolute()
    if not root.is_dir():
        raise DataSourceError(
            f"dataset folder not found: {root}. Choose a folder that holds one sub-folder per class."
        )
    splits = split_folders(root)
    if splits is not None:
        groups: list[tuple[str | None, Path]] = list(splits.items())
        bad: list[BadFile] = []
        layout = "split_folders"
    else:
        groups = [(None, root)]
        bad = _loose_images(root)
        layout = "class_folders"
    found: list[tuple[str, str | None, Path]] = []
    for split, folder in groups:
        if split is not None:
            bad.extend(_loose_images(folder))
        for name, class_dir in _class_dirs(folder):
            found.extend((name, split, p) for p in _walk_files(class_dir))
    if not found:
        raise DataSourceError(
            f"no class folders with files in {root}. Put the images of each class in its own "
            "sub-folder (e.g. cats/, dogs/), optionally inside train/, val/ and test/ folders."
        )
    return _build(root, found, bad, layout, progress, cancel)


def scan_class_folders(
    source: ClassFolders, progress: Progress | None = None, cancel: Cancel | None = None
) -> DataScan:
    """Scan an explicit class -> folders mapping; ``source.extensions``/``exclude`` filter files."""
    folders = source.folders()
    if not folders:
        raise DataSourceError("no classes given: map at least one class name to a folder")
    found: list[tuple[str, str | None, Path]] = []
    for name, paths in folders.items():
        for folder in paths:
            if not folder.is_dir():
                raise DataSourceError(
                    f"folder for class {name!r} not found: {folder}. Fix the path or drop the class."
                )
            found.extend((name, None, p) for p in _walk_files(folder) if source.accepts(p))
    all_dirs = [str(p.absolute()) for paths in folders.values() for p in paths]
    root = Path(os.path.commonpath(all_dirs))
    return _build(root, found, [], "class_mapping", progress, cancel, classes=sorted(folders))


def _build(
    root: Path,
    found: list[tuple[str, str | None, Path]],
    bad: list[BadFile],
    layout: str,
    progress: Progress | None,
    cancel: Cancel | None,
    classes: list[str] | None = None,
) -> DataScan:
    """Check each file's first bytes and assemble the scan (sorted: stable across runs)."""
    classes = classes if classes is not None else sorted({name for name, _, _ in found})
    index = {name: i for i, name in enumerate(classes)}
    samples: list[Sample] = []
    total = len(found)
    for i, (name, split, path) in enumerate(found):
        if cancel is not None and i % 64 == 0 and cancel():
            raise OperationCancelledError("scan cancelled")
        problem = check_file(path)
        if problem is None:
            samples.append(Sample(path, index[name], split))
        else:
            bad.append(problem)
        if progress is not None and (i % 256 == 0 or i == total - 1):
            progress((i + 1) / total, f"scanned {i + 1} of {total} files")
    samples.sort(key=lambda s: (s.label, s.split or "", str(s.path)))
    bad.sort(key=lambda b: str(b.path))
    return DataScan(root, classes, samples, bad, layout)


def check_file(path: Path) -> BadFile | None:
    """None for a file that looks like a supported image, else why it is skipped."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return BadFile(path, f"cannot read file ({exc.strerror or exc})", "unreadable")
    if not head:
        return BadFile(path, "empty file (0 bytes)", "empty")
    if sniff_format(head) is None:
        return BadFile(path, not_image_reason(head), "not_image")
    return None


def _class_dirs(folder: Path) -> list[tuple[str, Path]]:
    """(class name, folder) for each visible sub-folder, sorted."""
    return [
        (child.name, child)
        for child in sorted(folder.iterdir())
        if child.is_dir() and not child.name.startswith(".")
    ]


def _loose_images(folder: Path) -> list[BadFile]:
    """Images lying directly in a folder that should only hold class folders."""
    loose = []
    for child in sorted(folder.iterdir()):
        if child.is_file() and not _hidden(child.name) and check_file(child) is None:
            loose.append(BadFile(child, "image is not inside a class folder; move it into one", "no_class"))
    return loose


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() in JUNK_NAMES


def _walk_files(folder: Path) -> Iterator[Path]:
    """Files under ``folder`` recursively, sorted, hidden/junk skipped, symlink loops broken."""
    seen: set[str] = set()
    stack = [folder]
    out: list[Path] = []
    while stack:
        current = stack.pop()
        real = os.path.realpath(current)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if _hidden(entry.name):
                continue
            if entry.is_dir():
                stack.append(Path(entry.path))
            elif entry.is_file():
                out.append(Path(entry.path))
    yield from sorted(out)
