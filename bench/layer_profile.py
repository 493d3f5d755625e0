"""Per-layer profile vs the measured whole-model forward, for resnet50 and the bundled Lite0.

For each model prints the per-layer sum, the plain forward time measured in the same run, and
their ratio with the target on the line (|sum ÷ forward − 1| ≤ 0.15), at batch 1 and batch 8,
plus the five slowest layers beside their share of MACs (where FLOPs and time disagree).

    python bench/layer_profile.py [--repeats 10] [--threads N]
"""

from __future__ import annotations

import argparse

import torch

from designer.compress.profile import profile_design
from designer.surgery.opening import open_model

MODELS = (("resnet50", "none"), ("efficientnet_lite0_bundled", "bundled"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    for name, weights in MODELS:
        design = open_model(name, weights)
        macs = {n: i.macs for n, i in design.analyze().layers.items()}
        total_macs = sum(macs.values()) or 1
        for batch in (1, 8):
            p = profile_design(design, batch=batch, repeats=args.repeats)
            ok = abs(p.coverage - 1) <= 0.15
            print(f"{name:<28} batch {batch}: layer sum {p.sum_ms:8.2f} ms, forward "
                  f"{p.total_ms:8.2f} ms, ratio {p.coverage:.3f}   target 0.85–1.15 "
                  f"{'OK' if ok else 'MISSED'}   ({p.threads} threads)")
            if batch == 1:
                for layer, _ms in sorted(p.layers.items(), key=lambda kv: -kv[1])[:5]:
                    print(f"    {layer:<26} {100 * p.share(layer):5.1f} % time   "
                          f"{100 * macs.get(layer, 0) / total_macs:5.1f} % MACs")


if __name__ == "__main__":
    main()
