"""How fast a zoo model runs on *this* CPU, measured, so the browser can show real latencies.

Random weights are enough for timing (same arithmetic as pretrained ones) and need no download.
The figure is the fastest of the timed passes on one torch thread: the median of passes on all
threads stored what other processes did at the time (Lite0 at 128 px: "thousands of ms" under
load for a ~10 ms pass), while the fastest one-thread pass barely moves with load. Results are
cached per model, input and CPU in ``<user cache>/netdesigner/latency.json``.
"""

from __future__ import annotations

import contextlib
import functools
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from designer.zoo.cache import read_json, update_json, user_cache_dir
from designer.zoo.entry import ZooEntry
from designer.zoo.errors import CancelledError
from designer.zoo.registry import create_model, get_entry

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
_CACHE_FILE = "latency.json"
THREADS = 1  # torch threads a latency is measured on
BUDGET_S = 2.0  # timed passes stop after this long once three are done (large models)


def latency_cache_path() -> Path:
    return user_cache_dir() / _CACHE_FILE


@functools.cache
def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_key() -> str:
    """The CPU and torch's thread count: a latency only holds for the same pair."""
    import torch

    return f"{_cpu_name()}|threads={torch.get_num_threads()}"


def timing_key() -> str:
    """What a latency in the cache holds for: this CPU, timed on `THREADS` torch thread(s)."""
    return f"{_cpu_name()}|threads={THREADS}"


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block on ``count`` torch threads (None: as they are), restoring the setting
    after. The one helper for this: latency, the finder, layer profiles, pruning and re-runs."""
    import torch

    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError(f"count must be a positive whole number, got {count!r}")
    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _key(name: str, batch_size: int, image_size: int) -> str:
    return f"{name}|b{batch_size}|{image_size}px|{timing_key()}"


def _size(name: str, image_size: int | None) -> int:
    return image_size or get_entry(name).preprocessing.crop_size


def cached_latency(name: str, batch_size: int = 1, image_size: int | None = None) -> float | None:
    """The latency (ms) measured earlier on this machine, or None."""
    record = read_json(latency_cache_path()).get(_key(name, batch_size, _size(name, image_size)))
    return float(record["ms"]) if isinstance(record, dict) and "ms" in record else None


def cached_latencies(entries: Sequence[ZooEntry], batch_size: int = 1) -> dict[str, float]:
    """``cached_latency`` of many entries at their own input size, reading the cache once."""
    if not entries:
        return {}  # (nothing to read)
    records = read_json(latency_cache_path())
    machine = timing_key()
    found = {}
    for entry in entries:
        key = f"{entry.name}|b{batch_size}|{entry.preprocessing.crop_size}px|{machine}"
        record = records.get(key)
        if isinstance(record, dict) and "ms" in record:
            found[entry.name] = float(record["ms"])
    return found


def measure_latency(
    name: str,
    batch_size: int = 1,
    image_size: int | None = None,
    repeats: int = 10,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    *,
    warmup: int = 2,
    use_cache: bool = True,
) -> float:
    """Milliseconds of one forward pass on the CPU (eval mode, no autograd): the fastest of
    ``repeats`` timed passes on one thread, fewer when they take over `BUDGET_S` (at least 3)."""
    import torch

    if not isinstance(repeats, int) or repeats < 1 or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"need whole numbers repeats >= 1 and warmup >= 0, got {repeats!r}, "
                         f"{warmup!r}")
    size = _size(name, image_size)
    if use_cache and (cached := cached_latency(name, batch_size, size)) is not None:
        return cached
    _report(progress, 0.0, f"Building {name}")
    model = create_model(name, "none", cancel=cancel).to("cpu")
    inputs = torch.randn(batch_size, 3, size, size)
    samples: list[float] = []
    total = warmup + repeats
    with torch.no_grad(), torch_threads(THREADS):
        begun = time.perf_counter()
        for step in range(total):
            if cancel is not None and cancel():
                raise CancelledError(f"Speed test of {name} cancelled.")
            start = time.perf_counter()
            model(inputs)
            if step >= warmup:
                samples.append(time.perf_counter() - start)
            _report(progress, (step + 1) / total, f"Timing {name}: run {step + 1} of {total}")
            if len(samples) >= min(3, repeats) and time.perf_counter() - begun > BUDGET_S:
                break
    _report(progress, 1.0, f"Timed {name}")
    ms = min(samples) * 1000.0
    update_json(latency_cache_path(), _key(name, batch_size, size), {
        "ms": ms, "batch_size": batch_size, "image_size": size, "repeats": len(samples),
        "statistic": "min", "threads": THREADS,
        "torch": torch.__version__, "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    return ms


def measure_many(
    names: Sequence[str],
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    *,
    batch_size: int = 1,
    image_size: int | None = None,
    repeats: int = 10,
) -> dict[str, float]:
    """``measure_latency`` for each name, with one overall progress bar."""
    results: dict[str, float] = {}
    for index, name in enumerate(names):
        def scaled(fraction: float, message: str, index: int = index) -> None:
            _report(progress, (index + fraction) / len(names), message)

        results[name] = measure_latency(name, batch_size, image_size, repeats, scaled, cancel)
    _report(progress, 1.0, f"Timed {len(names)} models")
    return results


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)
