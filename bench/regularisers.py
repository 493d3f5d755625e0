"""Regularisers side by side on the Tux Paint photos (never asserted; honest numbers).

The bundled EfficientNet-Lite0 (offline) with a new head and a frozen backbone, the same split,
epochs and learning rate; one run per regulariser (none, balanced sampler, MixUp, CutMix, model
EMA, RandAugment, TrivialAugment), each over the given seeds. Prints each one's mean test and
best-validation accuracy, its difference from "none" and its seconds. MixUp, CutMix and the
augmentation presets train on images (no feature cache), so they take longer.

    python bench/regularisers.py [--epochs 8] [--size 128] [--seeds 0 1] [--threads 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from designer.data import AugmentOptions
from designer.project.data_config import DataConfig, default_source, prepare_data
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions

#: name -> (option changes, augmentation policy)
VARIANTS: dict[str, tuple[dict[str, Any], str]] = {
    "none": ({}, "none"),
    "balanced sampler": ({"sampler": "balanced"}, "none"),
    "mixup 0.2": ({"mixup_alpha": 0.2}, "none"),
    "cutmix 1.0": ({"cutmix_alpha": 1.0}, "none"),
    "ema 0.9": ({"ema_decay": 0.9}, "none"),
    "randaugment m9": ({}, "randaugment"),
    "trivialaugment": ({}, "trivialaugment"),
}


def train(name: str, seed: int, args: argparse.Namespace, runs: Path) -> tuple[float, float, float]:
    """(test accuracy, best validation accuracy, seconds) of one run."""
    changes, policy = VARIANTS[name]
    design = open_model("efficientnet_lite0_bundled", "bundled", input_size=args.size)
    augment = AugmentOptions() if policy == "none" else dataclasses.replace(
        AugmentOptions(), policy=policy)
    data = prepare_data(DataConfig(source=default_source(), image_size=args.size, seed=0,
                                   augment=augment), design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    options = TrainingOptions(epochs=args.epochs, lr=args.lr, batch_size=32, seed=seed,
                              **changes)
    start = time.perf_counter()
    run = train_design(design, data, options, runs_root=runs / name.replace(" ", "_"),
                       measure_latency=False)
    seconds = time.perf_counter() - start
    assert run.status == "completed", run.message
    assert run.evaluation is not None and run.best_val_acc is not None
    return run.evaluation.result().accuracy, run.best_val_acc, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"data {default_source()}, bundled Lite0 at {args.size} px, frozen backbone, "
          f"{args.epochs} epochs, lr {args.lr}, seeds {args.seeds}, {args.threads} thread(s)")
    results: dict[str, list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-regularisers-") as folder:
        for name in args.only:
            results[name] = [train(name, seed, args, Path(folder)) for seed in args.seeds]
            test, val, secs = (statistics.mean(r[i] for r in results[name]) for i in range(3))
            print(f"  {name:17s} test {test:.3f}  best val {val:.3f}  {secs:5.0f} s/run",
                  flush=True)
    if "none" not in results:
        return
    base = statistics.mean(r[0] for r in results["none"])
    for name, rows in results.items():
        if name != "none":
            gain = statistics.mean(r[0] for r in rows) - base
            print(f"{name} - none test accuracy = {gain:+.3f} (target >= 0; a gain is not "
                  "promised on 169 photos and a few epochs)")


if __name__ == "__main__":
    main()
