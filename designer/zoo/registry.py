"""The zoo: every torchvision classifier plus the bundled offline models, by name.

Listing reads metadata only (no model is built, nothing is downloaded); ``create_model`` builds
one model and fills it from the chosen weight source.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from designer.zoo.bundled import bundled_entries, create_bundled
from designer.zoo.entry import ZooEntry
from designer.zoo.errors import CancelledError, UnknownModelError, WeightsChoiceError
from designer.zoo.torchvision_zoo import torchvision_entries
from designer.zoo.weights import (
    apply_weights,
    cached_weights_path,
    download_weights,
    load_weights_file,
)

if TYPE_CHECKING:
    from torch import nn

WeightsChoice = Literal["none", "pretrained", "bundled"] | Path | str  # str: a file's path
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
_CHOICES = ("none", "pretrained", "bundled")


@functools.cache
def _entries() -> tuple[ZooEntry, ...]:
    return (*torchvision_entries(), *bundled_entries())


@functools.cache
def _by_name() -> dict[str, ZooEntry]:
    return {e.name: e for e in _entries()}


def list_entries() -> list[ZooEntry]:
    """All entries: torchvision's classifiers (alphabetical), then the bundled ones."""
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


def create_model(
    name: str,
    weights: WeightsChoice = "none",
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> nn.Module:
    """Build ``name`` in eval mode with random, pretrained, bundled or file weights.

    "pretrained" on a torchvision model uses the torch hub cache and downloads only when the
    file is not there yet; on a bundled model it is the same as "bundled".
    """
    entry = get_entry(name)
    if not isinstance(weights, Path) and weights not in _CHOICES:
        if not Path(weights).is_file():
            raise WeightsChoiceError(f"weights must be one of {', '.join(_CHOICES)} or the path "
                                     f"of an existing weights file, not {weights!r}.")
        weights = Path(weights)
    if entry.source == "bundled":
        model = create_bundled(entry.name, pretrained=weights in ("pretrained", "bundled"))
    else:
        if weights == "bundled":
            raise WeightsChoiceError(
                f"{entry.display_name} has no bundled weights: choose 'pretrained' (a "
                f"{entry.file_size_mb or 0:.0f} MB download, once) or import a weights file. "
                "Bundled models work offline: efficientnet_lite0_bundled, "
                "mobilenet_v2_backbone_bundled."
            )
        if weights == "pretrained":
            path = cached_weights_path(entry) or download_weights(entry, progress, cancel)
            weights = path
        if cancel is not None and cancel():
            raise CancelledError(f"Creating {entry.display_name} was cancelled.")
        model = build_torchvision(entry)
    if isinstance(weights, Path):
        apply_weights(model, load_weights_file(weights), entry.ignored_weight_prefixes)
    return model.eval()


def build_torchvision(entry: ZooEntry) -> nn.Module:
    """The architecture with random weights, exactly as its pretrained file expects it."""
    import torchvision

    return torchvision.models.get_model(entry.name, weights=None, **entry.builder_kwargs)
