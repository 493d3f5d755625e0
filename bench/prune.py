"""Prune 30 % of the channels of a resnet18 design, fine-tune to recover, print the table.

Trains resnet18 (random init: no pretrained weights install offline) on the Tux Paint sample
photos, prunes it with torch-pruning (dependency-aware, classifier kept), fine-tunes the pruned
design as an ordinary run, and prints params, MACs, measured batch-1 latency and test accuracy
before pruning, right after pruning, and after recovery. Never asserted.

    python bench/prune.py [--ratio 0.3] [--size 96] [--epochs 12] [--recover 4]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from designer.compress.prune import prune_design
from designer.evaluation import evaluate
from designer.project.data_config import SAMPLE_TUXPAINT, DataConfig, prepare_data
from designer.project.run_model import run_design
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratio", type=float, default=0.3)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--recover", type=int, default=4)
    parser.add_argument("--importance", default="magnitude", choices=("magnitude", "taylor"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="netdesigner-prune-"))
    try:
        design = open_model("resnet18", "none", input_size=args.size)
        data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT, image_size=args.size),
                            design.info.preprocessing)
        design.replace_head(len(data.classes), class_names=data.classes)
        options = TrainingOptions(epochs=args.epochs, batch_size=16, lr=1e-3, num_workers=0,
                                  seed=0)
        base = train_design(design, data, options, runs_root=root, measure_latency=False)
        trained = run_design(base.run_dir)
        split = data.evaluation_split
        result = prune_design(trained, args.ratio, importance=args.importance)
        pruned_acc = evaluate(result.design.build(), data.datasets[split],
                              classes=data.classes).accuracy
        recover = TrainingOptions(epochs=args.recover, batch_size=16, lr=5e-4, num_workers=0,
                                  seed=0)
        after = train_design(result.design, data, recover, runs_root=root,
                             measure_latency=False)
        base_acc = base.evaluation.accuracy if base.evaluation else float("nan")
        after_acc = after.evaluation.accuracy if after.evaluation else float("nan")
        print(f"resnet18 at {args.size} px, {len(data.classes)} classes, {args.ratio:.0%} of "
              f"channels pruned ({args.importance}), {args.recover} recovery epochs")
        print("\n".join(result.table()))
        print(f"{'accuracy (' + split + ')':<22}{base_acc:>14.3f}{after_acc:>14.3f}   "
              f"right after pruning {pruned_acc:.3f}   target: within a few points of before")
        print(f"pruned design: {result.design.info.model_name}, "
              f"{len(list(result.design.network))} layers, trains and evaluates as a normal run")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
