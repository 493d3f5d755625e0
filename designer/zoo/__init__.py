"""Pretrained models: the registry, weight sources (download, file, bundled) and speed checks.

Names are imported lazily so ``import designer.zoo.preprocessing`` stays free of torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ZooEntry": "designer.zoo.entry",
    "Preprocessing": "designer.zoo.preprocessing",
    "list_entries": "designer.zoo.registry",
    "get_entry": "designer.zoo.registry",
    "create_model": "designer.zoo.registry",
    "download_weights": "designer.zoo.download",
    "is_cached": "designer.zoo.registry",
    "register_source": "designer.zoo.sources",
    "ZooSource": "designer.zoo.sources",
    "load_weights_file": "designer.zoo.weights",
    "apply_weights": "designer.zoo.weights",
    "measure_latency": "designer.zoo.speed",
    "measure_many": "designer.zoo.speed",
    "cached_latency": "designer.zoo.speed",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'designer.zoo' has no attribute {name!r}")
