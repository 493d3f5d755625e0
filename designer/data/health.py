"""Data health report: decode every file once and tell the user what is wrong before training.

Nothing here stops an import: bad files are listed and skipped, odd colour modes are converted,
duplicates across splits are flagged as leakage, and the user decides what to do.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from designer.data.decode import decode_pil, read_bytes
from designer.data.errors import OperationCancelledError, SampleError
from designer.data.health_text import build_warnings, summary_lines
from designer.data.scan import BadFile, Cancel, DataScan, Progress
from designer.data.sources import SPLITS
from designer.data.split import SplitManifest

#: Split name used when the data has not been split yet.
ALL = "all"


@dataclass(frozen=True)
class DuplicateGroup:
    """Files with identical bytes; leakage when they sit in different splits."""

    digest: str
    paths: list[Path]
    splits: list[str]
    classes: list[str]

    @property
    def leakage(self) -> bool:
        """The same image is in two splits: validation/test accuracy would be optimistic."""
        return len(set(self.splits) - {ALL}) > 1

    @property
    def label_conflict(self) -> bool:
        """The same image carries two different labels."""
        return len(set(self.classes)) > 1


@dataclass(frozen=True)
class LargeImage:
    """An image big enough to be decoded at reduced size (or over Pillow's bomb limit)."""

    path: Path
    width: int
    height: int


@dataclass
class HealthReport:
    """Everything found about a dataset; plain data, see :meth:`summary_lines` for text."""

    classes: list[str]
    counts: dict[str, dict[str, int]]
    bad_files: list[BadFile] = field(default_factory=list)
    conversions: dict[str, int] = field(default_factory=dict)
    large_images: list[LargeImage] = field(default_factory=list)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: int = 0
    root: Path | None = None

    def display_path(self, path: Path) -> str:
        """Path relative to the dataset root when possible (shorter in the report)."""
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return str(path)

    @property
    def totals(self) -> dict[str, int]:
        """Usable images per class over all splits."""
        return {c: sum(per[c] for per in self.counts.values()) for c in self.classes}

    @property
    def imbalance_ratio(self) -> float:
        """Largest class / smallest class (inf when a class has no usable image)."""
        values = list(self.totals.values())
        if not values or max(values) == 0:
            return 1.0
        return max(values) / min(values) if min(values) > 0 else float("inf")

    @property
    def leakage(self) -> list[DuplicateGroup]:
        """Duplicate groups that span more than one split."""
        return [g for g in self.duplicates if g.leakage]

    @property
    def bad_paths(self) -> set[Path]:
        """Paths of every skipped file."""
        return {b.path for b in self.bad_files}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (paths as strings, inf ratio as None)."""
        ratio = self.imbalance_ratio
        return {
            "classes": list(self.classes),
            "counts": {s: dict(c) for s, c in self.counts.items()},
            "imbalance_ratio": None if ratio == float("inf") else ratio,
            "bad_files": [{"path": str(b.path), "reason": b.reason, "kind": b.kind} for b in self.bad_files],
            "conversions": dict(self.conversions),
            "large_images": [
                {"path": str(g.path), "width": g.width, "height": g.height} for g in self.large_images
            ],
            "duplicates": [
                {
                    "paths": [str(p) for p in g.paths],
                    "splits": g.splits,
                    "classes": g.classes,
                    "leakage": g.leakage,
                    "label_conflict": g.label_conflict,
                }
                for g in self.duplicates
            ],
            "warnings": list(self.warnings),
            "checked": self.checked,
            "root": None if self.root is None else str(self.root),
        }

    def summary_lines(self) -> list[str]:
        """Human-readable report, one finding per line."""
        return summary_lines(self)


def health_report(
    data: DataScan | SplitManifest,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> HealthReport:
    """Decode every image of a scan or manifest once and report what was found.

    Raises OperationCancelledError when ``cancel()`` turns true.
    """
    items, bad = _items(data)
    classes = list(data.classes)
    splits = [ALL] if all(split == ALL for _, _, split in items) else list(SPLITS)
    counts = {s: dict.fromkeys(classes, 0) for s in splits}
    conversions: Counter[str] = Counter()
    large: list[LargeImage] = []
    by_digest: dict[str, list[tuple[Path, int, str]]] = defaultdict(list)
    total = len(items)
    for i, (path, label, split) in enumerate(items):
        if cancel is not None and cancel():
            raise OperationCancelledError("health check cancelled")
        try:
            raw = read_bytes(path)
            _img, info = decode_pil(raw, path, check_only=True)
        except SampleError as exc:
            bad.append(BadFile(path, exc.reason, exc.kind))
        else:
            counts[split][classes[label]] += 1
            conversions.update(info.conversions)
            if info.large:
                large.append(LargeImage(path, info.width, info.height))
            by_digest[hashlib.blake2b(raw, digest_size=16).hexdigest()].append((path, label, split))
        if progress is not None:
            progress((i + 1) / max(total, 1), f"checked {i + 1} of {total} images")
    report = HealthReport(
        classes=classes,
        counts=counts,
        bad_files=sorted(bad, key=lambda b: str(b.path)),
        conversions=dict(sorted(conversions.items())),
        large_images=large,
        duplicates=_duplicates(by_digest, classes),
        checked=total,
        root=data.root,
    )
    report.warnings = build_warnings(report)
    return report


def _items(data: DataScan | SplitManifest) -> tuple[list[tuple[Path, int, str]], list[BadFile]]:
    """(path, label, split) for every image to check, and the files already skipped."""
    if isinstance(data, SplitManifest):
        items = [(data.root / e.path, e.label, e.split) for e in data.entries]
        return items, list(data.skipped)
    items = [(s.path, s.label, s.split or ALL) for s in data.samples]
    return items, list(data.bad_files)


def _duplicates(
    by_digest: dict[str, list[tuple[Path, int, str]]], classes: list[str]
) -> list[DuplicateGroup]:
    groups = []
    for digest, members in sorted(by_digest.items(), key=lambda kv: str(kv[1][0][0])):
        if len(members) > 1:
            groups.append(
                DuplicateGroup(
                    digest,
                    [p for p, _, _ in members],
                    [s for _, _, s in members],
                    [classes[lbl] for _, lbl, _ in members],
                )
            )
    return groups
