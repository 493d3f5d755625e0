"""Where the time goes: measured forward latency of every layer and block on this machine.

The design's module runs node by node (an ``fx.Interpreter``) with a clock around each node, on
real inputs of the chosen batch size, after warm-up runs; each layer's time is the median over
the repeats. The whole model is also timed as it really runs (a plain forward, interleaved with
the per-layer runs), so the report can say how much of the real time the per-layer numbers
account for (``coverage``): interpreter overhead makes the sum a little larger, fused or
overlapping work can make it smaller. The per-layer sum is taken run by run (the median of each
run's layer total), so a busy machine's pauses land in it the same way as in the whole-model
time; the per-layer medians are what the table shows. Blocks get the sum of their layers.

Threads: the profile runs at `threads` CPU threads of the calling thread (PyTorch's setting is
per thread, so a profile on a worker thread leaves training and the GUI alone). On a busy
machine several threads make both numbers unsteady: every operator ends at a barrier that waits
for the slowest thread, and a thread the OS has paused holds everybody up, so the sum of
per-layer times and the whole forward disagree by up to 2× run to run. One thread measures
steadily there (bench/layer_profile.py prints both side by side with the load average).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx

from designer.core.network import Network
from designer.surgery.build import build_module
from designer.surgery.design import Design
from designer.surgery.store import Store
from designer.zoo.speed import torch_threads

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


class ProfileCancelledError(RuntimeError):
    """The user cancelled the profile; nothing was measured."""


@dataclass(frozen=True)
class Profile:
    """Median forward time per layer (ms) for one batch size, and the whole model's time."""

    batch: int
    device: str
    layers: dict[str, float]
    blocks: dict[str, float]
    total_ms: float
    repeats: int
    warmup: int
    threads: int = field(default=1)
    #: median over the repeats of each run's per-layer total (None: the sum of the medians)
    run_sum_ms: float | None = None

    @property
    def unattributed_ms(self) -> float:
        """Measured forward time no layer accounts for (negative: the per-layer clocks cost
        more than the plain forward, e.g. the interpreter's own work per node)."""
        return self.total_ms - self.sum_ms

    @property
    def sum_ms(self) -> float:
        return self.run_sum_ms if self.run_sum_ms is not None else sum(self.layers.values())

    @property
    def coverage(self) -> float:
        """Per-layer sum ÷ measured whole-model time (1.0: the layers explain all of it)."""
        return self.sum_ms / self.total_ms if self.total_ms > 0 else 0.0

    def share(self, name: str) -> float:
        """Fraction of the per-layer total spent in layer (or block path) `name`."""
        total = sum(self.layers.values())
        value = self.layers.get(name, self.blocks.get(name, 0.0))
        return value / total if total > 0 else 0.0

    def shares(self) -> dict[str, float]:
        """Every layer's fraction of the per-layer total."""
        total = sum(self.layers.values()) or 1.0
        return {name: ms / total for name, ms in self.layers.items()}

    def summary(self) -> str:
        return (f"batch {self.batch} on {self.device}: layers sum to {self.sum_ms:.2f} ms, "
                f"measured forward {self.total_ms:.2f} ms ({100 * self.coverage:.0f} %), "
                f"median of {self.repeats} after {self.warmup} warm-up")


class _TimedInterpreter(fx.Interpreter):
    """Runs the graph with a clock around every node (synchronising a GPU before each read)."""

    def __init__(self, module: fx.GraphModule, sync: Callable[[], None]) -> None:
        super().__init__(module)
        self.times: dict[str, float] = {}
        self._sync = sync

    def run_node(self, n: fx.Node) -> Any:
        if n.op in ("placeholder", "output"):
            return super().run_node(n)
        self._sync()
        start = time.perf_counter()
        result = super().run_node(n)
        self._sync()
        self.times[n.name] = (time.perf_counter() - start) * 1000.0
        return result


def profile_design(design: Design, *, batch: int = 1, input_size: int | None = None,
                   warmup: int = 3, repeats: int = 10, device: str = "cpu",
                   threads: int | None = None, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> Profile:
    """Measure `design` at `batch` images of its input size on `device` (see module doc)."""
    if batch < 1 or warmup < 0 or repeats < 1:
        raise ValueError(f"batch and repeats must be >= 1 and warmup >= 0, got batch {batch}, "
                         f"warmup {warmup}, repeats {repeats}")
    network, store = snapshot(design)
    return profile_snapshot(network, store, input_size or design.info.input_size, batch=batch,
                            warmup=warmup, repeats=repeats, device=device, threads=threads,
                            progress=progress, cancel=cancel)


def snapshot(design: Design) -> tuple[Network, Store]:
    """A copy of the document and the store's entries, safe to profile on another thread."""
    return Network(design.network.state().layers), dict(design.store)


def profile_snapshot(network: Network, store: Store, input_size: int, *, batch: int = 1,
                     warmup: int = 3, repeats: int = 10, device: str = "cpu",
                     threads: int | None = None, progress: Progress | None = None,
                     cancel: Cancel | None = None) -> Profile:
    """:func:`profile_design` on a :func:`snapshot` (what the GUI's background task runs)."""
    if batch < 1 or warmup < 0 or repeats < 1:
        raise ValueError(f"batch and repeats must be >= 1 and warmup >= 0, got batch {batch}, "
                         f"warmup {warmup}, repeats {repeats}")
    module = build_module(network, store).eval().to(device)
    x = torch.randn(batch, 3, input_size, input_size,
                    generator=torch.Generator().manual_seed(0)).to(device)
    groups = {layer.name: layer.group for layer in network if layer.group}
    return profile_module(module, x, groups=groups, warmup=warmup, repeats=repeats,
                          threads=threads, progress=progress, cancel=cancel)


def profile_module(module: fx.GraphModule, x: torch.Tensor, *, groups: dict[str, str] | None = None,
                   warmup: int = 3, repeats: int = 10, threads: int | None = None,
                   progress: Progress | None = None, cancel: Cancel | None = None) -> Profile:
    """Per-node and whole-model forward times of `module` on `x` (any fx.GraphModule), at
    `threads` CPU threads (None: the calling thread's current setting)."""
    with torch_threads(threads):
        return _profile(module, x, groups or {}, warmup, repeats, progress, cancel)


def _profile(module: fx.GraphModule, x: torch.Tensor, groups: dict[str, str], warmup: int,
             repeats: int, progress: Progress | None, cancel: Cancel | None) -> Profile:
    report = progress or (lambda _f, _m: None)
    stop = cancel or (lambda: False)
    sync = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)
    runs: dict[str, list[float]] = {}
    totals: list[float] = []
    run_sums: list[float] = []
    steps = warmup + repeats
    with torch.inference_mode():
        for step in range(steps):
            if stop():
                raise ProfileCancelledError("profile cancelled")
            report(step / steps, f"{'warming up' if step < warmup else 'measuring'} "
                                 f"({step + 1}/{steps})")
            sync()
            start = time.perf_counter()
            module(x)
            sync()
            whole = (time.perf_counter() - start) * 1000.0
            timed = _TimedInterpreter(module, sync)
            timed.run(x)
            if step >= warmup:
                totals.append(whole)
                run_sums.append(sum(timed.times.values()))
                for name, ms in timed.times.items():
                    runs.setdefault(name, []).append(ms)
    report(1.0, "done")
    layers = {name: statistics.median(values) for name, values in runs.items()}
    return Profile(int(x.shape[0]), str(x.device), layers, _block_times(layers, groups),
                   statistics.median(totals), repeats, warmup, torch.get_num_threads(),
                   statistics.median(run_sums))


def _block_times(layers: dict[str, float], groups: dict[str, str]) -> dict[str, float]:
    """Each block path (and every enclosing one) gets the sum of its layers' times."""
    blocks: dict[str, float] = {}
    for name, ms in layers.items():
        parts = groups.get(name, "").split(".")
        for depth in range(1, len(parts) + 1):
            path = ".".join(parts[:depth])
            if path:
                blocks[path] = blocks.get(path, 0.0) + ms
    return blocks
