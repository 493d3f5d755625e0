"""`netdesigner find-model DATA`: probe a shortlist of models on your data, headless."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from designer.cli._messages import fail

if TYPE_CHECKING:
    from collections.abc import Callable

    from designer.search.finder import FinderResult
    from designer.search.shortlist import Candidate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "find-model", help="which model fits my data? linear probes on a shortlist",
        description="For each model of a shortlist: extract features once with its pretrained "
        "backbone, cross-validate a linear probe on them, and time it on this machine. Without "
        "a shortlist option, every model available offline is tried.")
    parser.add_argument("data", help="a project folder (results are saved in it), an image "
                        "folder with one sub-folder per class, or sample:tuxpaint / sample:shapes")
    shortlist = parser.add_mutually_exclusive_group()
    shortlist.add_argument("--models", metavar="A,B,C", help="these models (zoo names)")
    shortlist.add_argument("--under-ms", type=float, metavar="MS",
                           help="the fastest --count models under MS ms per image on this CPU")
    shortlist.add_argument("--family", help="every model of this family (e.g. ResNet)")
    shortlist.add_argument("--one-per-family", action="store_true",
                           help="the cheapest model of each family")
    parser.add_argument("--count", type=int, default=5, help="how many for --under-ms (5)")
    parser.add_argument("--controls", action="store_true",
                        help="also probe each model from random weights (what pretraining buys)")
    parser.add_argument("--image-size", type=int, default=None,
                        help="probe (and time) at this size in pixels; 0: each model's own "
                        "(default: 128, about a third of the work of 224 px)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    parser.add_argument("--download", action="store_true",
                        help="download pretrained weights that are not on this machine yet")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def _size(args: argparse.Namespace) -> int | None:
    from designer.search.finder import PROBE_SIZE

    if args.image_size is None:
        return PROBE_SIZE
    return args.image_size or None


def _shortlist(args: argparse.Namespace) -> list[Candidate]:
    from designer.search import shortlist as sl

    if args.models:
        chosen = sl.by_hand(args.models.split(","))
    elif args.under_ms is not None:
        chosen = sl.fastest_under(args.under_ms, args.count, image_size=_size(args))
    elif args.family:
        chosen = sl.by_family(args.family)
    elif args.one_per_family:
        chosen = sl.one_per_family()
    else:
        chosen = sl.available_offline()
    if args.controls:
        chosen = list(dict.fromkeys(c for x in chosen for c in (x, x.random_twin())))
    return chosen


def run(args: argparse.Namespace) -> int:
    from designer.core.errors import UserError
    from designer.project.data_config import DataConfig, prepare_data
    from designer.search.finder import FinderCancelled, find_models
    from designer.search.shortlist import plan
    from designer.zoo.preprocessing import Preprocessing

    project = Path(args.data) if (Path(args.data) / "project.json").is_file() else None
    try:
        if project is not None:
            from designer.project.project_file import open_project

            opened = open_project(project)
            config, manifest = opened.data_config, opened.manifest
        else:
            config, manifest = DataConfig(source=args.data), None
        candidates = _shortlist(args)
        cost = plan(candidates, download=args.download)
        if not args.json:
            print(cost.summary(), file=sys.stderr)
        data = prepare_data(config, Preprocessing(), manifest=manifest, check_health=False)
        result = find_models(data, candidates, image_size=_size(args), folds=args.folds,
                             download=args.download, progress=_progress(args.json),
                             save_to=project)
    except KeyboardInterrupt:
        from designer.cli._interrupt import interrupted

        return interrupted("the models probed so far are not saved.")
    except FinderCancelled as stop:
        result = stop.partial
    except UserError as error:
        return fail(error)
    print(json.dumps(result.to_dict(), indent=1) if args.json else _table(result))
    return 0 if result.results else 1


def _progress(quiet: bool) -> Callable[[float, str], None]:
    last = {"text": ""}

    def report(fraction: float, message: str) -> None:
        text = f"[{100 * fraction:3.0f} %] {message.split(':')[0]}"
        if not quiet and text != last["text"]:
            last["text"] = text
            print(text, file=sys.stderr, flush=True)

    return report


def _table(result: FinderResult) -> str:
    front = {id(r) for r in result.pareto()}
    header = ("model", "probe acc", "± (cv)", "test acc", "ms/image", "MB", "ImageNet top-1", "")
    rows = [header]
    for r in result.ranked():
        rows.append((r.label, f"{100 * r.cv_accuracy:.1f} %", f"{100 * r.cv_std:.1f}",
                     "—" if r.test_accuracy is None else f"{100 * r.test_accuracy:.1f} %",
                     f"{r.latency_ms:.1f}", f"{r.size_mb:.1f}",
                     "—" if r.imagenet_top1 is None else f"{r.imagenet_top1:.1f} %",
                     "Pareto" if id(r) in front else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    for label, why in result.skipped:
        lines.append(f"skipped {label}: {why}")
    if result.folder is not None:
        lines.append(f"saved in {result.folder}")
    lines.append(f"probe acc: {result.results[0].folds if result.results else 0}-fold "
                 "cross-validated linear probe on frozen features; Pareto: no other model is "
                 "both faster and more accurate.")
    return "\n".join(lines)
