"""One latency figure per architecture: measured once, robustly, and reused by every run of it.

Timing one model a few times on a shared CPU gave two identical networks 103 and 197 ms, and
the Pareto front ranked them by that noise. Here the figure is the median of many timed passes
after warm-up, with the spread (half the interquartile range) kept beside it, and it is cached
per design structure + input size + machine, so the same design always gets the same figure.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from designer.zoo.cache import read_json, update_json, user_cache_dir
from designer.zoo.speed import machine_key

_CACHE_FILE = "design_latency.json"
#: keys of a layer that do not change the arithmetic of a forward pass
_TRAINING_ONLY = frozenset({"frozen", "lr_factor", "trainable_params"})
WARMUP, REPEATS = 3, 15


@dataclass(frozen=True)
class Latency:
    """Median ms per image on the CPU and its noise (half the interquartile range, ms)."""

    ms: float
    spread_ms: float


def design_cache_path() -> Path:
    return user_cache_dir() / _CACHE_FILE


def _structure(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _structure(v) for k, v in value.items() if k not in _TRAINING_ONLY}
    if isinstance(value, list | tuple):
        return [_structure(v) for v in value]
    return value


def structure_digest(network: Mapping[str, Any], image_size: int) -> str:
    """Digest of what decides the speed: the layers and their settings, and the input size
    (not freezing or learning-rate factors, which only change training)."""
    if not isinstance(image_size, int) or image_size <= 0:
        raise ValueError(f"image_size must be a positive integer, got {image_size!r}")
    text = json.dumps(_structure(network), sort_keys=True, default=str)
    return hashlib.sha256(f"{text}|{image_size}px".encode()).hexdigest()[:32]


def time_model(model: torch.nn.Module, image_size: int, *, warmup: int = WARMUP,
               repeats: int = REPEATS) -> Latency:
    """Median and spread of `repeats` timed single-image passes after `warmup` untimed ones."""
    if repeats < 3 or warmup < 0:
        raise ValueError(f"need repeats >= 3 and warmup >= 0, got {repeats}, {warmup}")
    x = torch.randn(1, 3, image_size, image_size)
    model = model.eval().cpu()
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - start) * 1000)
    q1, _, q3 = statistics.quantiles(times, n=4)
    return Latency(ms=float(statistics.median(times)), spread_ms=float(q3 - q1) / 2)


def design_latency(network: Mapping[str, Any], model: torch.nn.Module, image_size: int) -> Latency:
    """The cached figure for this structure on this machine, else measured now and cached."""
    key = f"{structure_digest(network, image_size)}|{machine_key()}"
    path = design_cache_path()
    record = read_json(path).get(key)
    if isinstance(record, dict):
        try:
            return Latency(ms=float(record["ms"]), spread_ms=float(record["spread_ms"]))
        except (KeyError, TypeError, ValueError):
            pass  # a damaged entry is measured again
    latency = time_model(model, image_size)
    update_json(path, key, {"ms": latency.ms, "spread_ms": latency.spread_ms})
    return latency
