"""What one model open + analysis leaves to Python's cyclic garbage collector.

Background tasks run with automatic collection paused (workers/gc_guard.py), so whatever an
open and its analysis leave in reference cycles piles up for a full (generation 2) collection
on the GUI thread, a visible freeze (issue 13: 477 ms inside "Expand all" on maxvit_t). Per
model it opens (weights "none") and analyses the design with the collector off, drops it and
prints:
  cycles      objects a collection then finds (only the cyclic collector could free them)
  weights     modules and tensors among them (a model kept in memory until that collection)
  full ms     that collection's time, then a full collection with the design still open
              (what a gen-2 pass costs while the user works on it)
Target (issue 13): no weights in cycles (the rest is torch's own closures: recursive pytree
helpers per op, the code generator's, holding the analysis graph's unlinked nodes).
Run: python bench/gc_cycles.py [model ...]   (default resnet18 maxvit_t)
"""

from __future__ import annotations

import gc
import sys
import time

import torch
from torch import nn

from designer.surgery.opening import open_model


def measure(name: str) -> tuple[int, int, float, float]:
    """(objects in cycles, of which modules/tensors, ms to collect them, ms of a full
    collection with the design open)."""
    gc.collect()
    gc.disable()
    try:
        design = open_model(name, "none")
        design.analyze()
        del design
        gc.set_debug(gc.DEBUG_SAVEALL)
        started = time.perf_counter()
        found = gc.collect()
        dead_ms = (time.perf_counter() - started) * 1000
        weights = sum(isinstance(o, nn.Module | torch.Tensor) for o in gc.garbage)
        gc.garbage.clear()
        gc.set_debug(0)
        design = open_model(name, "none")
        design.analyze()
        gc.collect()
        started = time.perf_counter()
        gc.collect()
        live_ms = (time.perf_counter() - started) * 1000
        del design
    finally:
        gc.set_debug(0)
        gc.enable()
    return found, weights, dead_ms, live_ms


def main(models: list[str]) -> None:
    for name in models:
        open_model(name, "none")  # one-off import-time objects first
    gc.collect()
    gc.freeze()  # as the app does once its pages are built
    print(f"{'model':<22}{'cycles':>9}{'weights':>9}{'full ms':>9}{'open ms':>9}")
    for name in models:
        found, weights, dead_ms, live_ms = measure(name)
        print(f"{name:<22}{found:>9}{weights:>9}{dead_ms:>9.1f}{live_ms:>9.1f}   "
              f"{found} objects in cycles per open + analysis, {weights} of them weights "
              "(target 0 weights)")


if __name__ == "__main__":
    main(sys.argv[1:] or ["resnet18", "maxvit_t"])
