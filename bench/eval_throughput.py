"""Evaluation throughput: the app's path vs a bare `torch.inference_mode` loop, side by side.

Same model object (the bundled EfficientNet-Lite0 with a head for the generated shapes, built
from its design as the app builds it), same dataset (the evaluation split, repeated to
--images), same batch size, same thread count, on the CPU. The app's path is
`designer.evaluation.evaluate` (guarded loading, softmax, per-sample predictions, metrics);
the bare loop is what an expert writes: a DataLoader and `model(x).argmax(1)` under
`torch.inference_mode`. Runs alternate (--rounds each) so load changes hit both; medians are
compared. Two data sources: "files" (JPEG/PNG decode included, the real path) and "memory"
(decoded tensors, which isolates the evaluation loop's own overhead).

    python bench/eval_throughput.py [--rounds 3] [--images 128] [--size 96] [--busy]
"""

from __future__ import annotations

import argparse
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
         dataset: Dataset[Any], batch_size: int) -> float:
    start = time.perf_counter()
    seen = run(model, dataset, batch_size)
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    args = parser.parse_args()
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
          f"{args.threads} torch threads, {load_label(args.busy)}, median of {args.rounds}")
    with cpu_hog(args.busy):
        for name, dataset in sources.items():
            apps, bares = [], []
            for _ in range(args.rounds):
                apps.append(rate(app, model, dataset, args.batch_size))
                bares.append(rate(bare, model, dataset, args.batch_size))
            a, b = statistics.median(apps), statistics.median(bares)
            spread = (max(apps) - min(apps)) / a
            print(f"{name:<7} app {a:7.1f} img/s / bare inference_mode {b:7.1f} img/s = "
                  f"{a / b:.3f}x (target >= {TARGET}x; app spread {spread:.0%})"
                  f"{'' if a / b >= TARGET else '  MISSED'}")


if __name__ == "__main__":
    main()
