"""`netdesigner models`: the zoo with its metadata, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from designer.zoo.entry import ZooEntry

_COLUMNS = ("name", "family", "params (M)", "GFLOPs", "acc@1", "size (MB)", "weights")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the model zoo with its metadata",
        description="List every model the designer can open: torchvision's ImageNet classifiers "
        "and the bundled offline models. 'weights' says whether pretrained weights are bundled, "
        "already downloaded (cached) or would be downloaded on first use.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--filter", metavar="TEXT", default="",
                        help="only models whose name, display name or family contains TEXT")
    parser.set_defaults(handler=run)


def _weights_status(entry: ZooEntry) -> str:
    from designer.zoo.registry import weights_status

    status = weights_status(entry)
    return "missing package" if status == "missing" else status


def _matches(entry: ZooEntry, text: str) -> bool:
    folded = text.casefold()
    return any(folded in s.casefold() for s in (entry.name, entry.display_name, entry.family))


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _row(entry: ZooEntry, status: str) -> tuple[str, ...]:
    return (entry.name, entry.family, f"{entry.num_params / 1e6:.1f}", _fmt(entry.gflops, 2),
            _fmt(entry.acc1, 1), _fmt(entry.file_size_mb, 1), status)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    numeric = {2, 3, 4, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(_COLUMNS), line(tuple("-" * w for w in widths)), *map(line, rows)])


def run(args: argparse.Namespace) -> int:
    from designer.zoo.registry import list_entries

    entries = [e for e in list_entries() if _matches(e, args.filter)]
    statuses = [_weights_status(e) for e in entries]
    if args.json:
        records = [{**e.to_dict(), "weights": s} for e, s in zip(entries, statuses, strict=True)]
        print(json.dumps(records, indent=1))
        return 0
    if not entries:
        print(f"No model matches {args.filter!r}. Run `netdesigner models` to see them all.")
        return 1
    print(_table([_row(e, s) for e, s in zip(entries, statuses, strict=True)]))
    plural = "" if len(entries) == 1 else "s"
    print(f"\n{len(entries)} model{plural}. acc@1: ImageNet-1k top-1 (%) of pretrained weights.")
    return 0
