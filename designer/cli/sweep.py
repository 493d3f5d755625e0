"""`netdesigner sweep PROJECT`: an Optuna search over the project's runs, headless."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from designer.cli._messages import fail

if TYPE_CHECKING:
    from designer.search.sweep import SweepSummary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sweep", help="search learning rate, freezing, image size... with Optuna",
        description="Run trials of a saved project (each a normal run in its runs/ folder) with "
        "Optuna's TPE sampler, pruning poor trials on their per-epoch validation accuracy. "
        "Several processes (or machines, with a shared --storage) can work on one study.")
    parser.add_argument("project", type=Path, help="a saved project folder")
    budget = parser.add_argument_group("budget (one or both)")
    budget.add_argument("--trials", type=int, help="trials in total, over every process")
    budget.add_argument("--minutes", type=float, help="wall-clock minutes for this process")
    parser.add_argument("--study", default="sweep", help="study name (default: sweep)")
    parser.add_argument("--storage", help="a journal file (default: PROJECT/sweeps/STUDY.journal) "
                        "or an RDB URL such as sqlite:///sweep.db")
    ranges = parser.add_argument_group("ranges (none: join the study's own; default: --lr)")
    ranges.add_argument("--lr", metavar="LOW:HIGH", help="learning rate, log scale")
    ranges.add_argument("--freeze", metavar="F,F", help="fractions of layers frozen (0..1)")
    ranges.add_argument("--image-size", metavar="N,N", help="image sizes")
    ranges.add_argument("--batch-size", metavar="N,N", help="batch sizes")
    ranges.add_argument("--models", metavar="A,B", help="zoo models (pretrained, head replaced)")
    ranges.add_argument("--set", action="append", default=[], metavar="OPTION=A,B",
                        help="choices for any training option, e.g. solver=adamw,sgdm")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from designer.core.errors import UserError
    from designer.search.sweep import SweepBudget, run_sweep, space_from_text

    try:
        budget = SweepBudget(trials=args.trials, minutes=args.minutes)
        space = space_from_text(lr=args.lr, freeze=args.freeze, image_size=args.image_size,
                                batch_size=args.batch_size, models=args.models,
                                options=args.set)
        summary = run_sweep(args.project, budget, space, study=args.study, storage=args.storage,
                            progress=None if args.json else _progress)
    except KeyboardInterrupt:
        from designer.cli._interrupt import interrupted

        return interrupted("finished trials are kept in the study and the project's runs.")
    except UserError as error:
        return fail(error)
    print(json.dumps(_as_dict(summary), indent=1) if args.json else _table(summary))
    return 0


def _progress(_fraction: float, message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _as_dict(summary: SweepSummary) -> dict[str, object]:
    return {"study": summary.study, "stopped_because": summary.stopped_because,
            "trials": [{"number": r.number, "state": r.state, "params": dict(r.params),
                        "accuracy": r.accuracy, "latency_ms": r.latency_ms, "run": r.run}
                       for r in summary.rows],
            "importances": dict(summary.importances), "pareto_front": list(summary.front)}


def _table(summary: SweepSummary) -> str:
    keys = sorted({k for r in summary.rows for k in r.params})
    header = ["#", "state", *keys, "accuracy", "ms", "Pareto"]
    rows = [header]
    for r in summary.rows:
        rows.append([str(r.number), r.state,
                     *(f"{r.params[k]:.3g}" if isinstance(r.params.get(k), float)
                       else str(r.params.get(k, "")) for k in keys),
                     "—" if r.accuracy is None else f"{100 * r.accuracy:.1f} %",
                     "—" if r.latency_ms is None else f"{r.latency_ms:.1f}",
                     "★" if r.number in summary.front else ""])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    if summary.importances:
        lines.append("importance: " + ", ".join(f"{k} {v:.2f}"
                                                for k, v in summary.importances.items()))
    lines.append(f"{len(summary.finished)} trial(s) finished in study {summary.study!r}; "
                 f"stopped because {summary.stopped_because}.")
    return "\n".join(lines)
