"""`netdesigner audit DATA`: the ranked list of suspect images (label issues, leakage, ...)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from designer.cli._messages import fail


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit", help="find likely mislabelled, duplicated, leaked, odd or poor images",
        description="Audit a data folder with a pretrained backbone (or a run's trained model): "
        "likely label mistakes with the suggested class, near-duplicates and leakage across "
        "splits, outliers, very dark / blurry / tiny images. Nothing in the folder is changed.")
    parser.add_argument("data", help="data folder (one sub-folder per class, or train/val/test) "
                        "or sample:tuxpaint / sample:shapes")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", help="zoo model whose pretrained features to use "
                       "(default: the bundled EfficientNet-Lite0, offline)")
    which.add_argument("--run", type=Path, help="a finished run folder: use its trained model")
    parser.add_argument("--top", type=int, default=20, help="how many suspects to print (20)")
    parser.add_argument("--cache-dir", type=Path, help="where to keep the features for the next "
                        "audit (default: the per-user NetDesigner cache)")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler: extract features, audit, print."""
    if args.top < 1:
        return fail("--top must be at least 1")
    from designer.audit.features import default_store
    from designer.audit.sources import audit_data

    try:
        _features, report = audit_data(args.data, model=args.model, run=args.run,
                                       store=args.cache_dir or default_store(),
                                       progress=None if args.json else _progress)
    except Exception as error:  # noqa: BLE001 - any failure becomes one clear line
        return fail(error)
    if args.json:
        print(report.to_json())
        return 0
    print(file=sys.stderr)
    print(f"{report.images} images, {len(report.classes)} classes, features from {report.source}; "
          f"cross-validated linear head {100 * report.cv_accuracy:.1f} % ({report.folds} folds)")
    print(f"\n{'#':>3}  {'severity':>8}  {'split':5}  {'given':12} {'suggested':12} path / reasons")
    for rank, s in enumerate(report.top(args.top), 1):
        print(f"{rank:>3}  {s.severity:8.2f}  {s.split:5}  {s.given:12} {s.suggested or '':12} {s.path}")
        for reason in s.reasons:
            print(f"{'':>46}{reason.kind}: {reason.text}")
    print(f"\n{len(report.suspects)} suspects in all; {report.leaks} near-duplicate pair(s) across "
          f"splits (leakage), {report.duplicates} within a split.")
    print("label quality per class (1 = clean): " + ", ".join(
        f"{c} {q:.2f}" for c, q, _n in report.class_quality))
    if report.overlaps:
        print("classes the data mixes up: " + ", ".join(
            f"{a}/{b} ({n})" for a, b, n, _j in report.overlaps[:5]))
    return 0


def _progress(fraction: float, message: str) -> None:
    print(f"\r{100 * fraction:5.1f} %  {message:60}", end="", file=sys.stderr, flush=True)
