"""`netdesigner inspect MODEL`: every layer with shape, params, MACs, frozen state, and the issues."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect", help="analyse a zoo model: layers, shapes, params, MACs, issues",
        description="Open a zoo model as an editable graph and print its analysis.")
    parser.add_argument("model", help="zoo model name (see `netdesigner models`)")
    parser.add_argument("--weights", default="none",
                        help="none (random, default), bundled, pretrained, or a weights file")
    parser.add_argument("--all", action="store_true",
                        help="include helper operations (shape arithmetic) hidden by default")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def _weights(value: str) -> Any:
    return value if value in ("none", "bundled", "pretrained") else Path(value)


def run(args: argparse.Namespace) -> int:
    """Handler: open, analyse, print."""
    from designer.surgery.opening import open_model

    try:
        design = open_model(args.model, _weights(args.weights))
    except Exception as error:  # noqa: BLE001 - any failure becomes one clear line
        print(f"netdesigner inspect: {error}", file=sys.stderr)
        return 1
    analysis = design.analyze()
    rows = []
    for layer in design.network:
        if layer.plumbing and not args.all:
            continue
        info = analysis.layers[layer.name]
        rows.append({"name": layer.name, "kind": layer.kind, "shape": list(info.shape or ()),
                     "params": info.params, "macs": info.macs, "frozen": layer.frozen,
                     "lr_factor": layer.lr_factor, "block": layer.group})
    issues = [{"layer": i.layer, "severity": i.severity, "message": i.message}
              for i in analysis.issues if args.all or not design.network[i.layer].plumbing]
    summary: dict[str, Any] = {"model": design.info.model_name, "input_shape": list(analysis.input_shape),
               "output_shape": list(analysis.output_shape or ()),
               "total_params": analysis.total_params,
               "trainable_params": analysis.trainable_params, "total_macs": analysis.total_macs,
               "activation_bytes": analysis.activation_bytes}
    if args.json:
        print(json.dumps({"summary": summary, "layers": rows, "issues": issues}, indent=1))
        return 0
    _print_table(rows)
    print(f"\n{summary['model']}: input {tuple(summary['input_shape'])} -> output "
          f"{tuple(summary['output_shape'])}, {analysis.total_params / 1e6:.2f} M params "
          f"({analysis.trainable_params / 1e6:.2f} M trainable), "
          f"{analysis.total_macs / 1e9:.2f} GMACs, "
          f"{analysis.activation_bytes / 2**20:.1f} MiB activations per image")
    for issue in issues:
        print(f"{issue['severity']}: {issue['message']}")
    return 0


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = ("layer", "kind", "output", "params", "MMACs", "frozen")
    lines = [(r["name"], r["kind"], "×".join(map(str, r["shape"][1:])) or "-",
              f"{r['params']:,}", f"{r['macs'] / 1e6:.1f}", "yes" if r["frozen"] else "")
             for r in rows]
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
    for cells in [header, *lines]:
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
