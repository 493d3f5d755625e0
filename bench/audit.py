"""Audit time once features are cached ÷ one frozen-backbone training epoch, same photos.

The Tux Paint photos (default split), the bundled EfficientNet-Lite0 with its backbone frozen:
(a) extract features once (reported, not in the ratio), (b) the whole audit on them (k-fold
linear head + cleanlab, near-duplicates, outliers, pixel checks), (c) one epoch of `fit` on the
training split with the feature cache off (what an epoch of head training costs without the
cache). Target: ratio ≤ 0.5 (the audit costs less than half an epoch). Never asserted.

    python bench/audit.py [--rounds 3] [--threads 2] [--no-pixels]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from designer.audit import audit_features, extract_features
from designer.audit.sources import data_manifest, pretrained_design
from designer.data import datasets_from_manifest
from designer.project.data_config import SAMPLE_TUXPAINT
from designer.training.loop import fit
from designer.training.options import TrainingOptions

TARGET = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-pixels", action="store_true", help="skip the dark/blurry/tiny checks")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    manifest = data_manifest(SAMPLE_TUXPAINT)
    design, label = pretrained_design()
    start = time.perf_counter()
    features = extract_features(manifest, design, label)
    extract = time.perf_counter() - start
    datasets = datasets_from_manifest(manifest, design.info.preprocessing)
    options = TrainingOptions(epochs=1, batch_size=32, device="cpu", num_workers=0,
                              feature_cache="off", seed=0)
    audits, epochs = [], []
    for _ in range(args.rounds):  # interleaved: other processes' load hits both alike
        start = time.perf_counter()
        report = audit_features(features, check_pixels=not args.no_pixels)
        audits.append(time.perf_counter() - start)
        model = design.build()
        start = time.perf_counter()
        result = fit(model, datasets["train"], None, options)
        epochs.append(time.perf_counter() - start)
        assert result.reason == "completed", result.message
    audit_s, epoch_s = statistics.median(audits), statistics.median(epochs)
    print(f"{features.matrix.shape[0]} images, {len(manifest.classes)} classes, "
          f"{len(datasets['train'])} training images; feature extraction (all splits, once) "
          f"{extract:.1f} s; audit parts {', '.join(f'{k} {v:.2f} s' for k, v in report.seconds.items())}")
    print(f"audit on cached features {audit_s:.2f} s vs one frozen-backbone epoch {epoch_s:.2f} s: "
          f"ratio {audit_s / epoch_s:.3f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
