"""Evaluation throughput: the app's path vs a bare `torch.inference_mode` loop, side by side.

Same model object (the bundled EfficientNet-Lite0 with a head for the generated shapes, built
from its design as the app builds it), same dataset (the evaluation split, repeated to
--images), same batch size, same thread count, on the CPU. The app's path is
`designer.evaluation.evaluate` (guarded loading, softmax, per-sample predictions, metrics);
the bare loop is what an expert writes: a DataLoader and `model(x).argmax(1)` under
`torch.inference_mode`. Two data sources: "files" (JPEG/PNG decode included, the real path) and
"memory" (decoded tensors, which isolates the evaluation loop's own overhead).

On a shared 2-core machine one pass can be 20-40 % off the next, so the figure is made to be
stable: the two loops run side by side in ABBA order (--rounds pairs: app, bare, then bare,
app), each pair gives a ratio, and the line reports the median of those paired ratios (load
changes hit both halves of a pair alike) beside the ratio of the best passes (the least
disturbed of each), the spread of the paired ratios, and the same ratio in CPU time (the work
each loop does, which other processes disturb much less than wall time).

    python bench/eval_throughput.py [--rounds 6] [--images 128] [--size 96] [--busy]
                                    [--source files|memory|both]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from designer.evaluation.evaluate import evaluate
from designer.project.data_config import DataConfig, prepare_data
from designer.surgery.opening import open_model

TARGET = 0.95


class InMemory(Dataset[tuple[torch.Tensor, int]]):
    """The same samples, decoded once."""

    def __init__(self, dataset: Dataset[Any]) -> None:
        self.items = [dataset[i] for i in range(len(dataset))]  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.items[index]


def bare(model: torch.nn.Module, dataset: Dataset[Any], batch_size: int) -> int:
    """The expert's loop; returns how many images it saw."""
    model.eval()
    seen = 0
    with torch.inference_mode():
        for images, _labels in DataLoader(dataset, batch_size=batch_size):
            model(images).argmax(1)
            seen += len(images)
    return seen


def app(model: torch.nn.Module, dataset: Dataset[Any], batch_size: int) -> int:
    """The app's evaluation; returns how many images it evaluated."""
    return len(evaluate(model, dataset, batch_size=batch_size, device="cpu").predictions)


def rate(run: Callable[[torch.nn.Module, Dataset[Any], int], int], model: torch.nn.Module,
         dataset: Dataset[Any], batch_size: int) -> tuple[float, float]:
    """(images per second of wall time, images per second of this process's CPU time: the
    work done, which other processes on the machine disturb much less)."""
    start, cpu = time.perf_counter(), time.process_time()
    seen = run(model, dataset, batch_size)
    return seen / (time.perf_counter() - start), seen / max(time.process_time() - cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="ABBA pairs of passes")
    parser.add_argument("--source", choices=("files", "memory", "both"), default="both")
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    args = parser.parse_args()
    if args.rounds < 1 or args.images < 1:
        parser.error("--rounds and --images must be positive")
    torch.set_num_threads(args.threads)
    design = open_model("efficientnet_lite0_bundled", "bundled", input_size=args.size)
    data = prepare_data(DataConfig(source="sample:shapes", image_size=args.size),
                        design.info.preprocessing, check_health=False)
    design.replace_head(len(data.classes), class_names=data.classes)
    model = design.build()
    split = data.datasets[data.evaluation_split]
    files = ConcatDataset([split] * max(1, -(-args.images // len(split))))
    sources: dict[str, Dataset[Any]] = {"files": files, "memory": InMemory(files)}
    bare(model, sources["memory"], args.batch_size)  # warm-up (oneDNN kernels, allocator)
    print(f"bundled Lite0 at {args.size} px, {len(files)} images, batch {args.batch_size}, "
          f"{args.threads} torch threads, {load_label(args.busy)}, {args.rounds} ABBA pairs, "
          f"load average {os.getloadavg()[0]:.1f}")
    with cpu_hog(args.busy):
        for name in ("files", "memory") if args.source == "both" else (args.source,):
            dataset = sources[name]
            apps, bares, paired, cpu_paired = [], [], [], []
            for round_ in range(args.rounds):
                order = (app, bare) if round_ % 2 == 0 else (bare, app)
                rates = {run: rate(run, model, dataset, args.batch_size) for run in order}
                apps.append(rates[app][0])
                bares.append(rates[bare][0])
                paired.append(rates[app][0] / rates[bare][0])
                cpu_paired.append(rates[app][1] / rates[bare][1])
            ratio = statistics.median(paired)
            print(f"{name:<7} app {statistics.median(apps):7.1f} img/s vs bare inference_mode "
                  f"{statistics.median(bares):7.1f} img/s: median paired ratio {ratio:.3f}x, "
                  f"best passes {max(apps) / max(bares):.3f}x, paired ratios "
                  f"{min(paired):.2f}-{max(paired):.2f} over {args.rounds}, CPU-time ratio "
                  f"{statistics.median(cpu_paired):.3f}x "
                  f"({load_label(args.busy)}; target >= {TARGET}x)"
                  f"{'' if ratio >= TARGET else '  MISSED'}")


if __name__ == "__main__":
    main()
