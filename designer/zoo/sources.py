"""Model sources register themselves here: their entries, how to build one, how to fetch and
load its pretrained weights.

The registry (`designer.zoo.registry`) knows sources only through this table, so adding one
(timm, a company's own models) means writing a module that calls `register_source` and naming
that module in `designer.zoo.registry.SOURCE_MODULES`; `create_model`, `is_cached`, the model
browser and `netdesigner models` need no change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from designer.zoo.entry import ZooEntry

if TYPE_CHECKING:
    from torch import nn

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class ZooSource:
    """One source of models (its `name` is the `ZooEntry.source` of its entries)."""

    name: str
    #: every entry, from metadata only (nothing built or downloaded)
    entries: Callable[[], Sequence[ZooEntry]]
    #: the architecture with random weights, exactly as the pretrained file expects it
    build: Callable[[ZooEntry], nn.Module]
    #: the pretrained weights file on this machine, fetched (downloaded) first if needed
    fetch: Callable[[ZooEntry, Progress | None, Cancel | None], Path]
    #: fill a built model from a file `fetch` returned
    load: Callable[[nn.Module, Path, ZooEntry], None]
    #: whether the pretrained weights are on this machine already (no download needed)
    is_cached: Callable[[ZooEntry], bool]
    #: True when the weights ship with the app (installed packages), never downloaded
    offline: bool = False


_SOURCES: dict[str, ZooSource] = {}


def register_source(source: ZooSource) -> ZooSource:
    """Add (or replace, on module reload) a source; returns it."""
    _SOURCES[source.name] = source
    return source


def registered_sources() -> list[ZooSource]:
    """The registered sources, in registration order."""
    return list(_SOURCES.values())
