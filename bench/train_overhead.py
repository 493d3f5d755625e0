"""Trainer overhead and fast-path gain, measured side by side in one run (never asserted).

Prints (1) our fit() epoch time ÷ a bare hand-written PyTorch loop on the same model, data and
settings (target ≤ 1.05), both for plain NCHW fp32 and for the settings fit() chose
automatically, and (2) the gain of that automatic fast path (channels_last / bf16) over a plain
NCHW fp32 loop. Synthetic data, torchvision resnet18 with random weights.

    python bench/train_overhead.py [--size 64] [--images 128] [--batch 32] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from designer.training.accel import choose
from designer.training.callbacks import Callback
from designer.training.events import EpochEvent
from designer.training.loop import fit
from designer.training.options import TrainingOptions


def make_model(classes: int) -> nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None, num_classes=classes)


def bare_loop(
    data: TensorDataset, batch: int, epochs: int, channels_last: bool, bf16: bool
) -> list[float]:
    """What a user would write by hand: AdamW, cross-entropy, loss and accuracy per step."""
    model = make_model(10)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loader = DataLoader(data, batch_size=batch, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    model.train()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for x, y in loader:
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = model(x)
                loss = nn.functional.cross_entropy(out, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()
            int((out.argmax(1) == y).sum())
        times.append(time.perf_counter() - start)
    return times


class _EpochTimes(Callback):
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_epoch(self, event: EpochEvent) -> None:
        self.times.append(event.seconds)


def ours(data: TensorDataset, options: TrainingOptions) -> list[float]:
    timer = _EpochTimes()
    result = fit(make_model(10), data, None, options, callbacks=[timer])
    assert result.reason == "completed", result.message
    return timer.times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = TensorDataset(torch.randn(args.images, 3, args.size, args.size),
                         torch.randint(0, 10, (args.images,)))
    plain = TrainingOptions(epochs=args.epochs, batch_size=args.batch, device="cpu",
                            mixed_precision="off", channels_last="off", num_workers=0,
                            feature_cache="off", schedule="none")
    auto = plain.replace(mixed_precision="auto", channels_last="auto")
    chosen = choose(auto, make_model(10))
    fast_cl, fast_bf16 = chosen.channels_last, chosen.amp_dtype is torch.bfloat16
    runs: dict[str, list[float]] = {k: [] for k in ("bare", "fit", "bare_fast", "fit_fast")}
    for _ in range(args.rounds):  # interleaved so machine load hits every variant alike
        runs["bare"] += bare_loop(data, args.batch, args.epochs, False, False)[1:]
        runs["fit"] += ours(data, plain)[1:]
        runs["bare_fast"] += bare_loop(data, args.batch, args.epochs, fast_cl, fast_bf16)[1:]
        runs["fit_fast"] += ours(data, auto)[1:]
    best = {k: min(v) for k, v in runs.items()}
    median = {k: statistics.median(v) for k, v in runs.items()}
    print(f"resnet18, {args.images} images at {args.size} px, batch {args.batch}, "
          f"{args.threads} thread(s); epoch seconds (min / median of {len(runs['fit'])}):")
    for key in runs:
        print(f"  {key:10s} {best[key]:.3f} / {median[key]:.3f}")
    print(f"auto fast path chosen: channels_last={fast_cl}, bf16={fast_bf16}")
    print(f"overhead, NCHW fp32:        fit / bare = {best['fit'] / best['bare']:.3f} "
          f"(median {median['fit'] / median['bare']:.3f}; target <= 1.05)")
    print(f"overhead, auto fast path:   fit / bare = {best['fit_fast'] / best['bare_fast']:.3f} "
          f"(median {median['fit_fast'] / median['bare_fast']:.3f}; target <= 1.05)")
    print(f"fast-path gain: bare NCHW fp32 / fit auto = {best['bare'] / best['fit_fast']:.2f}x "
          f"(median {median['bare'] / median['fit_fast']:.2f}x)")


if __name__ == "__main__":
    main()
