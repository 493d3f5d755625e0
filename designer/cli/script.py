"""`netdesigner script RUN --out DIR`: the run as a standalone PyTorch training script.

Writes ``train.py``, ``weights.safetensors`` (the run's trained weights) and ``split.json`` (the
images it trained on), checked against the run's model before anything lands in DIR; the same
bundle as the window's "Generate PyTorch script…".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "script", help="write a run as a standalone PyTorch train.py with its weights and split",
        description="Write train.py, weights.safetensors and split.json for a finished run. "
        "The script rebuilds the run's network in plain PyTorch (checked to give the same "
        "outputs) and trains it with the run's options.")
    parser.add_argument("run", type=Path, help="run folder (from `netdesigner train`)")
    parser.add_argument("--out", required=True, type=Path,
                        help="folder to write into (created if needed; files of the same names "
                        "are replaced)")
    parser.add_argument("--torchrun", action="store_true",
                        help="the script also runs under torchrun (DistributedDataParallel)")
    parser.add_argument("--json", action="store_true", help="print the written paths as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler: load the run, write and check the bundle, say how to run it."""
    from designer.project.export_source import ExportSource

    try:
        source = ExportSource.from_run(args.run)
        report = source.write_script(args.out, distributed=args.torchrun)
    except Exception as error:  # noqa: BLE001 - any failure becomes one clear line
        print(f"netdesigner script: {error}", file=sys.stderr)
        return 1
    script = report.script
    if args.json:
        print(json.dumps({"script": str(script), "files": [str(p) for p in report.paths],
                          "max_abs_diff": report.max_abs_diff}, indent=1))
    else:
        print(f"wrote {', '.join(p.name for p in report.paths)} to {script.parent} (the "
              f"script's network matches the run's model: max |diff| {report.max_abs_diff:.1e})")
        print(f"train it with: python {script}" + ("" if source.manifest else " --split SPLIT.json"))
    return 0
