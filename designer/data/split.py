"""Stratified train/val/test split, recorded in a manifest so a run can be reproduced exactly.

A manifest read back from a file is data: every entry must be a relative path inside the data
folder (checked as text when read, and with symlinks followed by :meth:`SplitManifest.rebased`
before any file is opened); a label must name one of its classes and a split one of ours.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from designer.core.paths import PathEscapeError, is_within, relative_parts
from designer.data.errors import ManifestError
from designer.data.scan import BadFile, DataScan, Sample
from designer.data.sources import SPLITS

MANIFEST_VERSION = 1
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


@dataclass(frozen=True)
class ManifestEntry:
    """One image: path relative to the manifest root (POSIX form), class index and split."""

    path: str
    label: int
    split: str


@dataclass
class SplitManifest:
    """Which file goes to which split; JSON-serialisable, independent of the OS."""

    root: Path
    classes: list[str]
    entries: list[ManifestEntry]
    seed: int = 0
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
    cap: int | None = None
    layout: str = "class_folders"
    skipped: list[BadFile] = field(default_factory=list)

    def samples(self, split: str) -> list[Sample]:
        """Absolute samples of one split (``train``, ``val`` or ``test``)."""
        return [Sample(self.root / e.path, e.label, e.split) for e in self.entries if e.split == split]

    def counts(self) -> dict[str, dict[str, int]]:
        """split -> class name -> number of images (every split and class listed)."""
        out = {s: dict.fromkeys(self.classes, 0) for s in SPLITS}
        for e in self.entries:
            out[e.split][self.classes[e.label]] += 1
        return out

    def without(self, bad: Iterable[BadFile]) -> SplitManifest:
        """Copy with these files dropped from the splits and listed as skipped."""
        bad = list(bad)
        drop = {_relative(b.path, self.root) for b in bad}
        known = {b.path for b in self.skipped}
        kept = [e for e in self.entries if e.path not in drop]
        extra = [b for b in bad if b.path not in known]
        return replace(self, entries=kept, skipped=[*self.skipped, *extra])

    def rebased(self, root: Path) -> SplitManifest:
        """This split applied to the data folder `root` (the folder being trained on, never the
        one the file names), refusing entries that a symlink leads out of `root`."""
        root = Path(root)
        for entry in self.entries:
            if not is_within(root / entry.path, root):
                raise ManifestError(f"the saved split lists {entry.path}, which is a link that "
                                    f"leads outside the data folder {root}; it was not opened. "
                                    "Re-create the split.")
        return replace(self, root=root)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form; entries as compact [path, label, split] triples."""
        return {
            "version": MANIFEST_VERSION,
            "root": str(self.root),
            "layout": self.layout,
            "classes": list(self.classes),
            "seed": self.seed,
            "fractions": list(self.fractions),
            "cap": self.cap,
            "entries": [[e.path, e.label, e.split] for e in self.entries],
            "skipped": [[str(b.path), b.reason, b.kind] for b in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SplitManifest:
        """Inverse of :meth:`to_dict`; ManifestError for a file this version cannot read."""
        try:
            version = int(data.get("version", 1))  # type: ignore[call-overload]
            if version > MANIFEST_VERSION:
                raise ManifestError(
                    f"split manifest version {version} is newer than this NetDesigner "
                    f"(reads up to {MANIFEST_VERSION}); update NetDesigner to open it"
                )
            fractions = [float(f) for f in data["fractions"]]  # type: ignore[attr-defined]
            cap = data.get("cap")
            classes = [str(c) for c in data["classes"]]  # type: ignore[attr-defined]
            return cls(
                root=Path(str(data["root"])),
                classes=classes,
                entries=[
                    _checked_entry(p, lbl, s, len(classes))
                    for p, lbl, s in data["entries"]  # type: ignore[attr-defined]
                ],
                seed=int(data.get("seed", 0)),  # type: ignore[call-overload]
                fractions=(fractions[0], fractions[1], fractions[2]),
                cap=None if cap is None else int(cap),  # type: ignore[call-overload]
                layout=str(data.get("layout", "class_folders")),
                skipped=[
                    BadFile(Path(p), str(r), str(k))
                    for p, r, k in data.get("skipped", [])  # type: ignore[attr-defined]
                ],
            )
        except PathEscapeError as exc:
            raise ManifestError(f"the split manifest was refused: {exc}. Re-create the split.") from exc
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ManifestError(f"not a valid split manifest ({exc!r}); re-create the split") from exc

    def to_json(self) -> str:
        """Stable, human-diffable JSON text."""
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> SplitManifest:
        """Parse :meth:`to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"split manifest is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ManifestError("split manifest must be a JSON object")
        return cls.from_dict(data)

    def save(self, path: Path) -> None:
        """Write the manifest as JSON (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> SplitManifest:
        """Read a manifest written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _checked_entry(path: object, label: object, split: object, classes: int) -> ManifestEntry:
    """One entry read from a file: a relative path inside the data folder, a known class/split."""
    parts = relative_parts(path, what="the split entry", folder="the data folder")
    number = int(label)  # type: ignore[call-overload]
    if not 0 <= number < classes:
        raise ValueError(f"entry {path} has class {number}, but there are {classes} classes")
    if split not in SPLITS:
        raise ValueError(f"entry {path} is in split {split!r}, not one of {', '.join(SPLITS)}")
    return ManifestEntry(PurePosixPath(*parts).as_posix(), number, str(split))


def split_scan(
    scan: DataScan,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    cap: int | None = None,
) -> SplitManifest:
    """Stratified split of a scan; train/val/test folders are kept as given.

    When the folders hold train/ (and test/) but no val/, validation images are taken out of
    train in the proportion val : train of ``fractions``.

    Each class is shuffled with its own generator seeded from (seed, class name), so adding a
    class leaves the others' splits unchanged. ``cap`` keeps at most that many images per class
    (per class and split when the folders define the splits).
    """
    fracs = _check_fractions(fractions)
    if cap is not None and cap < 1:
        raise ValueError(f"cap must be at least 1 image per class, got {cap}")
    carve_val = scan.has_splits and not any(s.split == "val" for s in scan.samples)
    entries: list[ManifestEntry] = []
    for label, name in enumerate(scan.classes):
        mine = [s for s in scan.samples if s.label == label]
        if carve_val:
            entries += _carve_val(mine, scan.root, fracs, seed, name, cap)
        elif scan.has_splits:
            entries += _as_given(mine, scan.root, seed, name, cap)
        else:
            entries += _stratified(mine, scan.root, fracs, seed, name, cap)
    entries.sort(key=lambda e: (SPLITS.index(e.split), e.label, e.path))
    return SplitManifest(
        scan.root, list(scan.classes), entries, seed, fracs, cap, scan.layout, list(scan.bad_files)
    )


def _as_given(samples: list[Sample], root: Path, seed: int, key: str, cap: int | None) -> list[ManifestEntry]:
    """Keep the folders' splits; ``cap`` keeps a seeded subset per split."""
    entries = []
    for split in SPLITS:
        part = _shuffled([s for s in samples if s.split == split], seed, f"{key}/{split}")
        entries += [_entry(s, root, split) for s in part[:cap]]
    return entries


def _carve_val(
    samples: list[Sample],
    root: Path,
    fracs: tuple[float, float, float],
    seed: int,
    key: str,
    cap: int | None,
) -> list[ManifestEntry]:
    """train/ and test/ folders but no val/: take validation images out of train."""
    train_share = fracs[0] / (fracs[0] + fracs[1])
    part = _shuffled([s for s in samples if s.split == "train"], seed, f"{key}/train")[:cap]
    n_train = allocate(len(part), (train_share, 1 - train_share, 0.0))[0]
    entries = [_entry(s, root, "train") for s in part[:n_train]]
    entries += [_entry(s, root, "val") for s in part[n_train:]]
    test = _shuffled([s for s in samples if s.split == "test"], seed, f"{key}/test")
    return entries + [_entry(s, root, "test") for s in test[:cap]]


def _stratified(
    samples: list[Sample],
    root: Path,
    fracs: tuple[float, float, float],
    seed: int,
    key: str,
    cap: int | None,
) -> list[ManifestEntry]:
    """One class's samples, shuffled by (seed, key), capped and cut by the fractions."""
    part = _shuffled(samples, seed, key)[:cap]
    sizes = allocate(len(part), fracs)
    bounds = [0, sizes[0], sizes[0] + sizes[1], len(part)]
    return [_entry(s, root, split) for i, split in enumerate(SPLITS) for s in part[bounds[i] : bounds[i + 1]]]


def allocate(n: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    """Split n items by fractions (largest remainder); train gets >= 1 whenever n >= 1."""
    exact = [round(n * f, 9) for f in fractions]  # 0.6 / 0.8 must tie like 0.75
    sizes = [int(x) for x in exact]
    order = sorted(range(3), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in order[: n - sum(sizes)]:
        sizes[i] += 1
    if n >= 1 and sizes[0] == 0:
        donor = 2 if sizes[2] > 0 else 1
        sizes[donor] -= 1
        sizes[0] += 1
    return sizes[0], sizes[1], sizes[2]


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    values = [float(f) for f in fractions]
    if len(values) == 2:
        values.append(0.0)
    if len(values) != 3 or any(v < 0 for v in values) or values[0] <= 0:
        raise ValueError(
            f"fractions must be (train, val[, test]) with train > 0 and none negative, got {fractions}"
        )
    total = sum(values)
    if abs(total - 1.0) > 1e-6:
        if abs(total - 100.0) < 1e-6:  # percentages
            return values[0] / 100, values[1] / 100, values[2] / 100
        raise ValueError(f"fractions must add up to 1 (or 100 %), got {total:g}")
    return values[0], values[1], values[2]


def _shuffled(samples: list[Sample], seed: int, key: str) -> list[Sample]:
    ordered = sorted(samples, key=lambda s: str(s.path))
    random.Random(f"{seed}:{key}").shuffle(ordered)
    return ordered


def _relative(path: Path, root: Path) -> str:
    return PurePosixPath(*Path(os.path.relpath(path, root)).parts).as_posix()


def _entry(sample: Sample, root: Path, split: str) -> ManifestEntry:
    return ManifestEntry(_relative(sample.path, root), sample.label, split)
