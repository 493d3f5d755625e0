"""Where a dataset's images come from: a folder tree, or an explicit class -> folders mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Canonical split names and the folder names accepted for each (case-insensitive).
SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "val": ("val", "valid", "validation"),
    "test": ("test", "testing"),
}
SPLITS: tuple[str, ...] = ("train", "val", "test")


def split_of_folder(name: str) -> str | None:
    """Canonical split for a top-level folder name (``Validation`` -> ``val``), else None."""
    lowered = name.lower()
    for split, aliases in SPLIT_ALIASES.items():
        if lowered in aliases:
            return split
    return None


@dataclass(frozen=True)
class ClassFolders:
    """Classes given explicitly, each as one or more folders searched recursively.

    For datasets whose classes sit at different depths (Tux Paint: ``animals/mammals`` next to
    ``food/fruit``). ``extensions`` restricts which files count (other files are ignored, not
    reported), ``exclude`` drops any file whose path contains one of the given folder names.
    """

    classes: Mapping[str, Iterable[Path]]
    extensions: frozenset[str] | None = None
    exclude: tuple[str, ...] = field(default_factory=tuple)

    def folders(self) -> dict[str, list[Path]]:
        """Class name -> folders, with single paths accepted for convenience."""
        out: dict[str, list[Path]] = {}
        for name, paths in self.classes.items():
            items = [paths] if isinstance(paths, str | Path) else list(paths)
            out[name] = [Path(p) for p in items]
        return out

    def accepts(self, path: Path) -> bool:
        """Whether a file under one of the folders belongs to the dataset at all."""
        if self.extensions is not None and path.suffix.lower() not in self.extensions:
            return False
        return not any(part in self.exclude for part in path.parts)


def split_folders(root: Path) -> dict[str, Path] | None:
    """Canonical split -> folder when ``root`` holds train/val/test folders, else None.

    It is a split layout when a train folder exists alongside a val or test folder (other
    top-level folders are then ignored), or when train is the only top-level folder.
    """
    found: dict[str, Path] = {}
    others = 0
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        split = split_of_folder(child.name)
        if split is not None and split not in found:
            found[split] = child
        else:
            others += 1
    if "train" in found and ("val" in found or "test" in found or others == 0):
        return found
    return None
