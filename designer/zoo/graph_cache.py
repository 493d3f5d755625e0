"""The graph of each zoo model opened before, kept on disk so the next open draws it at once.

In a fresh process even the meta-device preview (`designer.surgery.opening.preview_graph`)
waits for torch, torchvision and timm to import (seconds); the graph is plain data, so the
last open's graph is kept per model and per version of the libraries and of this app that
define it, and drawn from here before anything heavy is imported. It is only ever drawn: the
design is always traced from the real module, which replaces the drawing when it arrives
(and redraws it if it differs). Like every cache here, unreadable files count as missing.

The bundled models' graphs also ship with the app (`SHIPPED`, written by
`packaging/ship_graphs.py` for the pinned library versions), so even their first open on a
fresh install is drawn at once; a test fails when they no longer match what the open traces.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import re
from pathlib import Path
from typing import Any

from designer.core.network import NetworkState
from designer.core.serialization import network_from_dict, network_to_dict
from designer.zoo.cache import read_json, user_cache_dir, write_json

log = logging.getLogger(__name__)

#: bump when what a traced graph looks like changes without a library version changing
SCHEMA = 1
_PACKAGES = ("netdesigner", "torch", "torchvision", "timm")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
#: the bundled models' graphs as the pinned libraries trace them (package data)
SHIPPED = Path(__file__).with_name("graphs")


@functools.cache
def _versions() -> dict[str, str]:
    found = {}
    for package in _PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = ""
    return found


def _path(name: str) -> Path | None:
    return user_cache_dir() / "graphs" / f"{name}.json" if _SAFE_NAME.fullmatch(name) else None


def _key(name: str) -> dict[str, Any]:
    return {"schema": SCHEMA, "model": name, "versions": _versions()}


def cached_graph(name: str) -> NetworkState | None:
    """The graph model `name` had when it was last opened with these library versions."""
    path = _path(name)
    return _read(path, name) if path is not None else None


def shipped_graph(name: str) -> NetworkState | None:
    """The graph shipped with the app for bundled model `name`, if made by these versions."""
    return _read(SHIPPED / f"{name}.json", name) if _SAFE_NAME.fullmatch(name) else None


def graph_record(name: str, graph: NetworkState) -> dict[str, Any]:
    """What `packaging/ship_graphs.py` writes for `name` (the file `shipped_graph` reads)."""
    from designer.core.network import Network

    return {"key": _key(name), "graph": network_to_dict(Network(graph.layers))}


def _read(path: Path, name: str) -> NetworkState | None:
    data = read_json(path)
    if not data or data.get("key") != _key(name):
        return None
    try:
        return network_from_dict(data["graph"]).state()
    except Exception:  # a damaged or foreign file: no drawing from it, the open goes on
        log.info("ignored the cached graph %s", path, exc_info=True)
        return None


def remember_graph(name: str, graph: NetworkState) -> None:
    """Keep `graph` (as model `name` was just opened) for the next open's first drawing."""
    if not isinstance(graph, NetworkState):
        raise TypeError(f"graph must be a NetworkState, not {type(graph).__name__}")
    path = _path(name)
    if path is None or cached_graph(name) == graph:
        return
    write_json(path, graph_record(name, graph))
