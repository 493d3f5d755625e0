"""`netdesigner evaluate|predict|export`: use a finished run without the window."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from designer.cli._messages import fail as _fail

#: Exit status of `evaluate` / `predict` when they finished but left some images out.
SOME_SKIPPED = 3
_EXIT_CODES = ("exit status: 0 all images used, 3 some images could not be read (each is named "
               "on stderr, the rest were used), 1 failure")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluate = subparsers.add_parser("evaluate", help="evaluate a run's model on a folder",
                                     epilog=_EXIT_CODES)
    evaluate.add_argument("run", type=Path, help="run folder (from `netdesigner train`)")
    evaluate.add_argument("--data", required=True, help="folder with one sub-folder per class")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--tta", choices=("flip", "crops"),
                          help="test-time augmentation: average over mirrored or cropped views")
    evaluate.set_defaults(handler=run_evaluate)
    predict = subparsers.add_parser("predict", help="classify images with a run's model",
                                    epilog=_EXIT_CODES)
    predict.add_argument("run", type=Path)
    predict.add_argument("images", nargs="+", type=Path)
    predict.add_argument("--top", type=int, default=3)
    predict.add_argument("--json", action="store_true")
    predict.add_argument("--tta", choices=("flip", "crops"),
                         help="test-time augmentation: average over mirrored or cropped views")
    predict.set_defaults(handler=run_predict)
    calibrate = subparsers.add_parser(
        "calibrate", help="fit a run's temperature on its validation images (temperature "
        "scaling); predict, evaluate and export then use it")
    calibrate.add_argument("run", type=Path)
    calibrate.add_argument("--clear", action="store_true",
                           help="remove the temperature: back to the model's own probabilities")
    calibrate.add_argument("--json", action="store_true")
    calibrate.set_defaults(handler=run_calibrate)
    export = subparsers.add_parser("export", help="export a run's model, checked numerically")
    export.add_argument("run", type=Path)
    export.add_argument("--format", required=True,
                        choices=("safetensors", "torchscript", "onnx", "pt2", "openvino", "onnx-int8"),
                        help="onnx-int8: calibrated on the run's training images and checked on "
                             "its validation images (before/after table printed)")
    export.add_argument("--out", required=True, type=Path)
    export.add_argument("--json", action="store_true")
    export.set_defaults(handler=run_export)


def _image_size(run: Path) -> int | None:
    from designer.project.runs import RunRecord

    return RunRecord.load(run).image_size


def _temperature(run: Path) -> float:
    """The run's fitted temperature (1 when it was not calibrated)."""
    from designer.project.runs import RunRecord

    return RunRecord.load(run).temperature


def run_evaluate(args: argparse.Namespace) -> int:
    """Handler of `netdesigner evaluate`: exit 0, or 3 when some images had to be skipped."""
    from designer.data import build_transforms, scan
    from designer.data.dataset import ImageDataset
    from designer.evaluation import evaluate
    from designer.project.run_model import run_design

    try:
        design = run_design(args.run)
        data = scan(Path(args.data))
        transform = build_transforms(design.info.preprocessing, None, train=False,
                                     image_size=_image_size(args.run))
        classes = list(design.info.class_names) or data.classes
        if sorted(data.classes) != sorted(classes):
            return _fail(f"the folder's classes {data.classes} are not the model's {classes}")
        remap = [classes.index(c) for c in data.classes]
        samples = [type(s)(s.path, remap[s.label]) for s in data.samples]
        result = evaluate(design.build(), ImageDataset(samples, classes, transform),
                          classes=classes, temperature=_temperature(args.run), tta=args.tta)
    except Exception as error:  # noqa: BLE001 - one clear message per failure
        return _fail(error)
    skipped = [(str(b.path), b.reason) for b in data.bad_files]
    skipped += [(s.path or f"sample #{s.index}", s.reason) for s in result.skipped]
    if args.json:
        out = {k: v for k, v in result.to_dict().items() if k not in ("predictions", "skipped")}
        out["skipped"] = [{"path": p, "reason": r} for p, r in skipped]
        print(json.dumps(out, indent=1))
    else:
        print(f"accuracy {result.accuracy:.3f} on {len(result.predictions)} images"
              + (f" ({len(skipped)} skipped, listed on stderr)" if skipped else ""))
        for row in result.per_class:
            print(f"  {row.name:<16} precision {row.precision:.2f} recall {row.recall:.2f} "
                  f"f1 {row.f1:.2f} ({row.support})")
    for path, reason in skipped:
        print(f"netdesigner: skipped {path}: {reason}", file=sys.stderr)
    return SOME_SKIPPED if skipped else 0


def run_predict(args: argparse.Namespace) -> int:
    """Handler of `netdesigner predict`: every readable image is predicted; exit 3 when some
    could not be read (each named on stderr), 1 when none could be predicted."""
    from designer.data import build_transforms
    from designer.evaluation import predict_each
    from designer.project.run_model import run_design

    try:
        design = run_design(args.run)
        transform = build_transforms(design.info.preprocessing, None, train=False,
                                     image_size=_image_size(args.run))
        results = predict_each(design.build(), [str(p) for p in args.images], transform,
                               list(design.info.class_names), k=args.top,
                               temperature=_temperature(args.run), tta=args.tta)
    except Exception as error:  # noqa: BLE001
        return _fail(error)
    if args.json:
        print(json.dumps([{"image": r.source, "top": [[c, round(s, 4)] for c, s in r.top]}
                          | ({"error": r.error} if r.error else {}) for r in results], indent=1))
    else:
        for r in results:
            if r.ok:
                print(r.source + ": " + ", ".join(f"{c} {s:.2f}" for c, s in r.top))
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"netdesigner: cannot read {r.source}: {r.error}", file=sys.stderr)
    if not failed:
        return 0
    return 1 if len(failed) == len(results) else SOME_SKIPPED


def run_calibrate(args: argparse.Namespace) -> int:
    """Handler of `netdesigner calibrate`: fit and save (or --clear) the run's temperature."""
    from designer.project.calibrate import calibrate_run, clear_calibration
    from designer.training.run_dir import RunDir

    if not RunDir.is_run(args.run):
        return _fail(f"{args.run} is not a run folder (runs/<name>, made by training)")
    try:
        if args.clear:
            clear_calibration(args.run)
            print("calibration removed: the run's own probabilities are used again")
            return 0
        record = calibrate_run(args.run)
    except Exception as error:  # noqa: BLE001
        return _fail(error)
    if args.json:
        print(json.dumps(record.to_dict(), indent=1))
    else:
        print(f"temperature {record.temperature:.3f} on {record.images} validation images: "
              f"NLL {record.nll_before:.3f} -> {record.nll_after:.3f}, "
              f"ECE {record.ece_before:.3f} -> {record.ece_after:.3f}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Handler of `netdesigner export` (the same export as the window's Export dialog)."""
    from designer.project.export_source import ExportSource

    try:
        report = ExportSource.from_run(args.run).export_to(args.format, args.out)
    except Exception as error:  # noqa: BLE001
        return _fail(error)
    print(json.dumps(report.to_dict(), indent=1, default=str) if args.json else report.summary())
    if hasattr(report, "table"):  # INT8: the before/after table and what to watch out for
        if not args.json:
            print("\n".join(report.table()))
        for warning in report.warnings:
            print(f"netdesigner: warning: {warning}", file=sys.stderr)
    return 0
