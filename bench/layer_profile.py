"""Per-layer profile vs the measured whole-model forward, for resnet50 and the bundled Lite0.

For each model, thread count and batch (1 and 8) prints the per-layer sum, the plain forward
time measured in the same run, their ratio with the target on the line (|sum ÷ forward − 1|
≤ 0.15) and the 1-minute load average beside it; then the five slowest layers at batch 1 beside
their share of MACs (where FLOPs and time disagree). Threads: PyTorch's default and 1 (on a busy
machine several threads wait on each other at every operator; see designer.compress.profile).

    python bench/layer_profile.py [--repeats 10] [--threads 0 1] [--models resnet50 ...]
"""

from __future__ import annotations

import argparse
import os

import torch

from designer.compress.profile import profile_design
from designer.surgery.opening import open_model

MODELS = {"resnet50": "none", "efficientnet_lite0_bundled": "bundled"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, nargs="+", default=[0, 1],
                        help="thread counts to measure at (0: PyTorch's default)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    for name in args.models:
        design = open_model(name, MODELS[name])
        macs = {n: i.macs for n, i in design.analyze().layers.items()}
        total_macs = sum(macs.values()) or 1
        for threads in args.threads:
            for batch in args.batches:
                p = profile_design(design, batch=batch, repeats=args.repeats,
                                   threads=threads or torch.get_num_threads())
                ok = abs(p.coverage - 1) <= 0.15
                print(f"{name:<27} {p.threads} thr batch {batch}: layer sum {p.sum_ms:8.2f} ms, "
                      f"forward {p.total_ms:8.2f} ms, ratio {p.coverage:.3f}   target 0.85–1.15 "
                      f"{'OK    ' if ok else 'MISSED'}  load {os.getloadavg()[0]:5.1f}", flush=True)
                if batch == 1 and threads == args.threads[-1]:
                    for layer, _ms in sorted(p.layers.items(), key=lambda kv: -kv[1])[:5]:
                        print(f"    {layer:<26} {100 * p.share(layer):5.1f} % time   "
                              f"{100 * macs.get(layer, 0) / total_macs:5.1f} % MACs")


if __name__ == "__main__":
    main()
