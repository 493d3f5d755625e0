"""Dataset versions: relabel, exclude and mark images reviewed without touching the user's files.

`DatasetEdits` (label overrides, exclusions, reviewed marks) travel inside the project's
`DataConfig`, so preparing data applies them, and every run, which records its data config,
records the version it trained on. Each change is also saved as a numbered version file
(``dataset-versions/v0003.json``: the split manifest it gives, the edits and the parent
version) so the change history survives and an undo goes back to the parent.

Version files are data: every path is a relative path inside the data folder (checked as text),
every class a name of the manifest's classes, the file name one we generate.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from designer.core.errors import UserError
from designer.core.paths import PathEscapeError, inside, relative_parts
from designer.data import ManifestError, SplitManifest
from designer.data.split import ManifestEntry
from designer.training.run_dir import write_json

FOLDER = "dataset-versions"
_NAME = re.compile(r"v(\d{4,})\.json")


class DatasetVersionError(UserError, ValueError):
    """A dataset version that cannot be read or applied, with what to do."""


def _path(value: object) -> str:
    return PurePosixPath(*relative_parts(value, what="an edited image",
                                         folder="the data folder")).as_posix()


@dataclass(frozen=True)
class DatasetEdits:
    """Changes to a split, by image path (relative to the data folder)."""

    relabelled: Mapping[str, str] = field(default_factory=dict)  # path -> class name
    excluded: frozenset[str] = frozenset()
    reviewed: frozenset[str] = frozenset()

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.relabelled.items())), self.excluded, self.reviewed))

    def __bool__(self) -> bool:
        return bool(self.relabelled or self.excluded or self.reviewed)

    def relabel(self, paths: Iterable[str], class_name: str) -> DatasetEdits:
        """These images now belong to ``class_name``."""
        if not isinstance(class_name, str) or not class_name:
            raise DatasetVersionError("choose the class to move the images to.")
        return replace(self, relabelled={**self.relabelled,
                                         **{_path(p): class_name for p in paths}})

    def exclude(self, paths: Iterable[str]) -> DatasetEdits:
        """These images are left out of every split."""
        return replace(self, excluded=self.excluded | {_path(p) for p in paths})

    def review(self, paths: Iterable[str]) -> DatasetEdits:
        """These images were looked at and are fine as they are."""
        return replace(self, reviewed=self.reviewed | {_path(p) for p in paths})

    def summary(self) -> str:
        """'3 relabelled, 1 excluded, 5 reviewed' (or 'no changes')."""
        parts = [f"{len(v)} {k}" for k, v in (("relabelled", self.relabelled),
                                               ("excluded", self.excluded),
                                               ("reviewed", self.reviewed)) if v]
        return ", ".join(parts) or "no changes"

    def apply(self, manifest: SplitManifest) -> SplitManifest:
        """The split with the labels overridden and the exclusions dropped (a copy)."""
        if not self.relabelled and not self.excluded:
            return manifest
        index = {name: i for i, name in enumerate(manifest.classes)}
        unknown = sorted(set(self.relabelled.values()) - set(index))
        if unknown:
            raise DatasetVersionError(f"the data has no class {unknown[0]!r} any more; undo the "
                                      "relabelling or restore the class folder.")
        entries = [ManifestEntry(e.path, index[self.relabelled[e.path]], e.split)
                   if e.path in self.relabelled else e
                   for e in manifest.entries if e.path not in self.excluded]
        return replace(manifest, entries=entries)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (sorted, so equal edits give equal text)."""
        return {"relabelled": dict(sorted(self.relabelled.items())),
                "excluded": sorted(self.excluded), "reviewed": sorted(self.reviewed)}

    @classmethod
    def from_dict(cls, data: object) -> DatasetEdits:
        """Inverse of `to_dict`; paths are checked to stay inside the data folder."""
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise DatasetVersionError("dataset edits must be a JSON object")
        try:
            relabelled = data.get("relabelled") or {}
            if not isinstance(relabelled, Mapping) or not all(
                    isinstance(v, str) and v for v in relabelled.values()):
                raise DatasetVersionError("relabelled images must map a path to a class name")
            return cls({_path(p): str(c) for p, c in relabelled.items()},
                       frozenset(_path(p) for p in data.get("excluded") or []),
                       frozenset(_path(p) for p in data.get("reviewed") or []))
        except PathEscapeError as error:
            raise DatasetVersionError(f"the dataset edits were refused: {error}") from error


@dataclass(frozen=True)
class DatasetVersion:
    """One saved state of the data: what ``edits`` make of the split, and where it came from."""

    number: int
    parent: int | None
    edits: DatasetEdits
    manifest: SplitManifest  # the split with the edits applied (what a run trains on)
    created: float = 0.0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"format": "netdesigner.dataset-version", "number": self.number,
                "parent": self.parent, "created": self.created, "note": self.note,
                "edits": self.edits.to_dict(), "manifest": self.manifest.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetVersion:
        """Inverse of `to_dict` (DatasetVersionError for anything malformed)."""
        try:
            if data.get("format") != "netdesigner.dataset-version":
                raise DatasetVersionError("not a NetDesigner dataset version file")
            parent = data.get("parent")
            return cls(int(data["number"]), None if parent is None else int(parent),
                       DatasetEdits.from_dict(data.get("edits")),
                       SplitManifest.from_dict(data["manifest"]),
                       float(data.get("created", 0.0)), str(data.get("note", "")))
        except (KeyError, TypeError, ValueError, ManifestError) as error:
            if isinstance(error, DatasetVersionError):
                raise
            raise DatasetVersionError(f"damaged dataset version ({error})") from error


class DatasetVersions:
    """The numbered versions saved in a project folder (files we name; nothing else is read)."""

    def __init__(self, project_folder: Path) -> None:
        self.folder = Path(project_folder) / FOLDER

    def numbers(self) -> list[int]:
        """Saved version numbers, oldest first."""
        if not self.folder.is_dir():
            return []
        found = (_NAME.fullmatch(p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def load(self, number: int) -> DatasetVersion:
        """Version ``number`` as saved."""
        try:
            path = inside(self.folder.parent, f"{FOLDER}/v{int(number):04d}.json",
                          what="a dataset version")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, PathEscapeError) as error:
            raise DatasetVersionError(f"dataset version {number} cannot be read: {error}") from error
        if not isinstance(data, dict):
            raise DatasetVersionError(f"dataset version {number} is not a JSON object")
        version = DatasetVersion.from_dict(data)
        if version.number != number:
            raise DatasetVersionError(f"dataset version file v{number:04d} says it is {version.number}")
        return version

    def save(self, edits: DatasetEdits, manifest: SplitManifest, parent: int | None,
             note: str = "") -> DatasetVersion:
        """Save the next version: ``edits`` applied to ``manifest`` (the current split; applying
        the same edits twice changes nothing)."""
        number = max(self.numbers(), default=0) + 1
        version = DatasetVersion(number, parent, edits, edits.apply(manifest), time.time(), note)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json(self.folder / f"v{number:04d}.json", version.to_dict())
        return version
