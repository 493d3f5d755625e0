"""`netdesigner models`: the zoo with its metadata, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from designer.zoo.entry import ZooEntry

_COLUMNS = ("name", "source", "family", "params (M)", "GFLOPs", "acc@1", "licence", "weights")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the model zoo with its metadata",
        description="List every model the designer can open: torchvision's ImageNet classifiers, "
        "every pretrained timm tag and the bundled offline models. 'weights' says whether "
        "pretrained weights are bundled, already downloaded (cached) or would be downloaded on "
        "first use. Accuracies are published figures ('—': not published), never estimates.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--filter", metavar="TEXT", default="",
                        help="only models whose name, display name or family contains TEXT")
    parser.add_argument("--family", metavar="NAME", default="",
                        help="only this family, e.g. convnext (any case)")
    parser.add_argument("--source", choices=("torchvision", "timm", "bundled"), default=None,
                        help="only models from this source")
    parser.set_defaults(handler=run)


def _weights_status(entry: ZooEntry) -> str:
    from designer.zoo.registry import weights_status

    status = weights_status(entry)
    return "missing package" if status == "missing" else status


def _matches(entry: ZooEntry, args: argparse.Namespace) -> bool:
    folded = args.filter.casefold()
    if args.family and entry.family.casefold() != args.family.strip().casefold():
        return False
    if args.source and entry.source != args.source:
        return False
    return any(folded in s.casefold() for s in (entry.name, entry.display_name, entry.family))


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _row(entry: ZooEntry, status: str) -> tuple[str, ...]:
    params = None if entry.num_params is None else entry.num_params / 1e6
    return (entry.name, entry.source, entry.family, _fmt(params, 1), _fmt(entry.gflops, 2),
            _fmt(entry.acc1, 1), entry.license or "—", status)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    numeric = {3, 4, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(_COLUMNS), line(tuple("-" * w for w in widths)), *map(line, rows)])


def run(args: argparse.Namespace) -> int:
    from designer.zoo.registry import list_entries

    entries = [e for e in list_entries() if _matches(e, args)]
    statuses = [_weights_status(e) for e in entries]
    if args.json:
        records = [{**e.to_dict(), "weights": s} for e, s in zip(entries, statuses, strict=True)]
        print(json.dumps(records, indent=1))
        return 0
    if not entries:
        print(_no_match(args, list_entries()))
        return 1
    print(_table([_row(e, s) for e, s in zip(entries, statuses, strict=True)]))
    plural = "" if len(entries) == 1 else "s"
    print(f"\n{len(entries)} model{plural}. acc@1: ImageNet-1k top-1 (%) of pretrained weights "
          "at their eval size (— where not published).")
    return 0


def _no_match(args: argparse.Namespace, every: list[ZooEntry]) -> str:
    if args.family and not any(e.family.casefold() == args.family.strip().casefold()
                               for e in every):
        families = sorted({e.family for e in every}, key=str.casefold)
        return f"No family called {args.family!r}. Families: {', '.join(families)}."
    return "No model matches these filters. Run `netdesigner models` to see them all."
