"""Head-only training with the feature cache ÷ without it, 10 epochs (never asserted); and a
second run with a changed head, learning rate and epochs ÷ the first, with a persistent
project feature cache (the second run reads the features: no backbone pass).

A torchvision resnet18 (random weights, traced with torch.fx) with everything but a new 5-class
head frozen, ~200 synthetic images, no augmentation. Both runs call fit() with the same options
except ``feature_cache``; the cached time includes the one-off feature extraction. Target ≤ 0.10.
The persistent pair: both runs use one fresh cache folder; the first extracts and saves, the
second (new head initialisation, lr × 3, epochs + 2) reuses. Target ≤ 0.10.

    python bench/feature_cache.py [--model resnet18] [--size 64] [--images 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torchvision
from torch import fx
from torch.utils.data import TensorDataset

from designer.training.loop import FitResult, fit
from designer.training.options import TrainingOptions


def frozen_backbone(name: str) -> fx.GraphModule:
    torch.manual_seed(0)
    model = fx.symbolic_trace(torchvision.models.get_model(name, weights=None, num_classes=5))
    head = "fc." if name.startswith("resnet") else "classifier."
    for param_name, param in model.named_parameters():
        param.requires_grad_(param_name.startswith(head))
    return model


def timed(name: str, data: TensorDataset, options: TrainingOptions,
          store: Path | None = None, head_seed: int = 0) -> tuple[float, FitResult]:
    """Wall time of the whole fit() call (model construction excluded)."""
    model = frozen_backbone(name)
    if head_seed:
        torch.manual_seed(head_seed)
        for param in model.parameters():
            if param.requires_grad:
                torch.nn.init.normal_(param, std=0.01)
    start = time.perf_counter()
    result = fit(model, data, None, options, feature_store=store)
    assert result.reason == "completed", result.message
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--persistent-only", action="store_true",
                        help="only the persistent-cache pair (first run vs second run)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = TensorDataset(torch.randn(args.images, 3, args.size, args.size),
                         torch.randint(0, 5, (args.images,)))
    options = TrainingOptions(epochs=args.epochs, batch_size=32, device="cpu", num_workers=0)
    timed(args.model, data, options.replace(epochs=1, feature_cache="off"))  # warm-up
    if not args.persistent_only:
        in_memory(args, data, options)
    persistent(args, data, options)


def in_memory(args: argparse.Namespace, data: TensorDataset, options: TrainingOptions) -> None:
    """Cached (this run only) ÷ uncached."""
    uncached_times, cached_times = [], []
    for _ in range(args.rounds):  # interleaved, so load from other processes hits both alike
        seconds, a = timed(args.model, data, options.replace(feature_cache="off"))
        uncached_times.append(seconds)
        seconds, b = timed(args.model, data, options.replace(feature_cache="auto"))
        cached_times.append(seconds)
    print(f"{args.model}, frozen backbone, {args.images} images at {args.size} px, "
          f"{args.epochs} epochs, {args.threads} thread(s), precision {b.precision}, "
          f"channels_last {b.channels_last}; seconds per fit() (min / median of {args.rounds})")
    print(f"  without cache: {min(uncached_times):.2f} / {statistics.median(uncached_times):.2f}"
          f" ({a.feature_cache})")
    print(f"  with cache:    {min(cached_times):.2f} / {statistics.median(cached_times):.2f}"
          f" ({b.feature_cache}: {b.feature_cache_reason})")
    print(f"cached / uncached = {min(cached_times) / min(uncached_times):.3f} (median "
          f"{statistics.median(cached_times) / statistics.median(uncached_times):.3f}; "
          "target <= 0.10)")
    diff = max(abs(x["loss"] - y["loss"]) for x, y in zip(
        a.history.iterations, b.history.iterations, strict=True))
    print(f"max |loss difference| per iteration, cached vs not: {diff:.2e}")


def persistent(args: argparse.Namespace, data: TensorDataset, options: TrainingOptions) -> None:
    """Second run (changed head, lr, epochs) ÷ first run, one project feature cache."""
    first_times, second_times = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-feature-store-") as folder:
            seconds, _ = timed(args.model, data, options, Path(folder))
            first_times.append(seconds)
            seconds, second = timed(args.model, data, options.replace(
                lr=options.lr * 3, epochs=options.epochs + 2), Path(folder), head_seed=7)
            second_times.append(seconds)
    assert "features reused" in second.feature_cache_reason, second.feature_cache_reason
    print(f"persistent cache: first run {min(first_times):.2f} s, second run (changed head, lr, "
          f"epochs) {min(second_times):.2f} s: {second.feature_cache_reason}")
    print(f"second run with a changed head / first run = "
          f"{min(second_times) / min(first_times):.3f} (median "
          f"{statistics.median(second_times) / statistics.median(first_times):.3f}; "
          "target <= 0.10)")


if __name__ == "__main__":
    main()
