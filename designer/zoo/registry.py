"""The zoo: every model of every registered source, by name.

Sources (torchvision's classifiers, the bundled offline models, ...) register themselves in
`designer.zoo.sources`; this module only looks them up, so it never branches on a source.
Listing reads metadata only (no model is built, nothing is downloaded); ``create_model`` builds
one model and fills it from the chosen weight source.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from designer.zoo.entry import ZooEntry
from designer.zoo.errors import CancelledError, UnknownModelError, WeightsChoiceError
from designer.zoo.sources import ZooSource, registered_sources
from designer.zoo.weights import apply_weights, load_weights_file

if TYPE_CHECKING:
    from torch import nn

WeightsChoice = Literal["none", "pretrained", "bundled"] | Path | str  # str: a file's path
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
_CHOICES = ("none", "pretrained", "bundled")

#: modules that register a source when imported, in listing order (a new source adds itself)
SOURCE_MODULES = ("designer.zoo.torchvision_zoo", "designer.zoo.timm_zoo", "designer.zoo.bundled")


def _sources() -> dict[str, ZooSource]:
    for module in SOURCE_MODULES:
        if module not in sys.modules:
            importlib.import_module(module)  # registers its source
    return {source.name: source for source in registered_sources()}


def source_of(entry: ZooEntry) -> ZooSource:
    """The source that provides `entry`."""
    return _sources()[entry.source]


#: held while the entries are listed: at start-up the browser's listing and the start model's
#: open both ask for them on their own threads, and would otherwise both build them
_LISTING = threading.RLock()


@functools.cache
def _entries_of(names: tuple[str, ...]) -> tuple[ZooEntry, ...]:
    sources = _sources()
    return tuple(entry for name in names for entry in sources[name].entries())


def _entries() -> tuple[ZooEntry, ...]:
    with _LISTING:
        return _entries_of(tuple(_sources()))


@functools.cache
def _index_of(names: tuple[str, ...]) -> dict[str, ZooEntry]:
    return {e.name: e for e in _entries_of(names)}


def _by_name() -> dict[str, ZooEntry]:
    """Entries by id (built once per listing: keyed by source names, not by the entries,
    whose hashing would cost more than the lookup)."""
    with _LISTING:
        return _index_of(tuple(_sources()))


def list_entries() -> list[ZooEntry]:
    """All entries, source by source (torchvision's classifiers, then the bundled ones)."""
    return list(_entries())


def get_entry(name: str) -> ZooEntry:
    """The entry called ``name`` (its id, or its display name in any case)."""
    table = _by_name()
    if name in table:
        return table[name]
    folded = name.strip().casefold()
    for entry in table.values():
        if folded in (entry.name.casefold(), entry.display_name.casefold()):
            return entry
    close = difflib.get_close_matches(name.lower(), list(table), n=5, cutoff=0.6)
    raise UnknownModelError(name, close)


def is_cached(name_or_entry: str | ZooEntry) -> bool:
    """True when the model's pretrained weights are on this machine (bundled or downloaded)."""
    entry = name_or_entry if isinstance(name_or_entry, ZooEntry) else get_entry(name_or_entry)
    return source_of(entry).is_cached(entry)


def weights_status(entry: ZooEntry) -> str:
    """What opening it with pretrained weights costs: 'bundled' (ships with the app),
    'missing' (its weights package is not installed), 'cached' or 'download'."""
    source, cached = source_of(entry), is_cached(entry)
    if source.offline:
        return "bundled" if cached else "missing"
    return "cached" if cached else "download"


def create_model(
    name: str,
    weights: WeightsChoice = "none",
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> nn.Module:
    """Build ``name`` in eval mode with random, pretrained, bundled or file weights.

    "pretrained" uses the source's weights: a download (once, into the torch hub cache) for
    torchvision, the installed package for a bundled model ("bundled" is the same there).
    """
    entry = get_entry(name)
    source = source_of(entry)
    choice = _checked_choice(weights)
    if choice == "bundled" and not source.offline:
        offline = [e.name for e in _entries() if source_of(e).offline]
        raise WeightsChoiceError(
            f"{entry.display_name} has no bundled weights: choose 'pretrained' (a "
            f"{entry.file_size_mb or 0:.0f} MB download, once) or import a weights file. "
            f"Bundled models work offline: {', '.join(offline)}.")
    pretrained = choice in ("pretrained", "bundled")
    path = source.fetch(entry, progress, cancel) if pretrained else choice  # before the build
    if cancel is not None and cancel():
        raise CancelledError(f"Creating {entry.display_name} was cancelled.")
    model = source.build(entry)
    if pretrained:
        assert isinstance(path, Path)
        source.load(model, path, entry)
    elif isinstance(path, Path):
        apply_weights(model, load_weights_file(path), entry.ignored_weight_prefixes)
    return model.eval()


def _checked_choice(weights: WeightsChoice) -> str | Path:
    if isinstance(weights, Path) or weights in _CHOICES:
        return weights
    if not Path(weights).is_file():
        raise WeightsChoiceError(f"weights must be one of {', '.join(_CHOICES)} or the path "
                                 f"of an existing weights file, not {weights!r}.")
    return Path(weights)
