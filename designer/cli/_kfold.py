"""`netdesigner train ... --folds K`: k-fold cross-validation on the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from designer.cli._messages import fail


def cross_validate(args: argparse.Namespace, design: Any, data: Any, options: Any,
                   runs_root: Path) -> int:
    """Train the K folds with progress on the terminal and print the table (or --json).

    The first Ctrl-C stops the fold in progress after its iteration (its run is kept and can be
    resumed) and no further fold starts; the table then covers the folds done.
    """
    from designer.cli._terminal import StopOnInterrupt, TerminalProgress
    from designer.project.kfold import train_folds

    def started(index: int, k: int, name: str) -> None:
        print(f"\n{name}", file=sys.stderr)

    progress = [] if args.json else [TerminalProgress()]
    with StopOnInterrupt() as interrupt:
        try:
            summary = train_folds(design, data, options, args.folds, runs_root=runs_root,
                                  callbacks=[*progress, interrupt], should_stop=interrupt,
                                  fold_started=started,
                                  measure_latency=getattr(args, "measure_latency", False))
        except KeyboardInterrupt:
            return interrupt.report()
    if args.json:
        print(json.dumps(summary.to_dict(), indent=1))
    else:
        print()
        print(summary.table())
        print(f"runs in {runs_root}")
    if not summary.complete:
        failed = [f for f in summary.folds if f.status not in ("completed", "stopped")]
        if failed:
            return fail(f"fold {failed[0].fold} ended as {failed[0].status} (run folder: "
                        f"{runs_root / failed[0].run}; details in its log)")
        return interrupt.report() if interrupt.requested else 1
    return 0
