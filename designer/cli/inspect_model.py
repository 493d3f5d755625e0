"""`netdesigner inspect MODEL|PATH`: every layer with shape, params, MACs, frozen state, issues.

A file (a .pt2, a .py with --class, an .onnx, a TorchScript or a weights file with --model) is
imported with `designer.open_file` and ends with its IMPORT REPORT; a zoo model with
``--weights FILE`` that does not fit prints the weights report (``--load-matching`` loads what
fits)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect", help="analyse a zoo model or a model file: layers, shapes, params, MACs",
        description="Open a zoo model or a model file of your own as an editable graph and "
        "print its analysis; a file ends with its import report.")
    parser.add_argument("model", help="zoo model name (see `netdesigner models`), or a model "
                        "file: .pt2 (torch.export), .py (with --class), .onnx (experimental), "
                        "TorchScript, or weights (.pt/.safetensors, with --model)")
    parser.add_argument("--weights", default="none",
                        help="none (random, default), bundled, pretrained, or a weights file")
    parser.add_argument("--class", dest="class_name", metavar="NAME",
                        help="the class or factory function that builds the model in a .py file")
    parser.add_argument("--trust-code", action="store_true", default=None,
                        help="allow running the code in this file (remembered for its SHA-256)")
    parser.add_argument("--no-trust-code", dest="trust_code", action="store_false",
                        help="refuse running the code in this file (remembered)")
    parser.add_argument("--input-size", type=int, metavar="PX",
                        help="sample input height/width where the file does not say (224)")
    parser.add_argument("--model", dest="arch", metavar="NAME",
                        help="the zoo architecture a weights file (or TorchScript) belongs to")
    parser.add_argument("--load-matching", action="store_true",
                        help="load the tensors of a weights file that fit, keep the rest")
    parser.add_argument("--save-weights", metavar="FILE.safetensors",
                        help="TorchScript: save its weights (needs --trust-code) to a new file")
    parser.add_argument("--all", action="store_true",
                        help="include helper operations (shape arithmetic) hidden by default")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def _weights(value: str) -> Any:
    return value if value in ("none", "bundled", "pretrained") else Path(value)


def run(args: argparse.Namespace) -> int:
    """Handler: open (or import), analyse, print."""
    from designer.surgery.import_report import ImportReport

    report: ImportReport | None = None
    try:
        if Path(args.model).is_file() or Path(args.model).suffix in _FILE_SUFFIXES:
            result = _import(args)
            report, design = result.report, result.design
        elif isinstance(_weights(args.weights), Path):
            result = _zoo_with_weights_file(args)
            report, design = result.report, result.design
        else:
            from designer.surgery.opening import open_model

            design = open_model(args.model, _weights(args.weights))
    except Exception as error:  # noqa: BLE001 - any failure becomes one clear line
        print(f"netdesigner inspect: {error}", file=sys.stderr)
        return 1
    if design is None:
        assert report is not None
        print(report.text())
        return 0 if report.kind == "TorchScript" and args.save_weights is None else \
            (0 if args.save_weights else 1)
    code = _print_analysis(args, design)
    if report is not None and not args.json:
        print()
        print(report.text())
    return code if report is None or report.ok else 1


_FILE_SUFFIXES = (".pt2", ".py", ".onnx", ".pt", ".pth", ".safetensors", ".ts", ".ckpt", ".bin")


def _import(args: argparse.Namespace) -> Any:
    from designer.core.trust import ConsentNeeded
    from designer.surgery.import_file import open_file

    try:
        result = open_file(args.model, name=args.class_name, trust=args.trust_code,
                           input_size=args.input_size, model=args.arch,
                           load_matching=args.load_matching)
    except ConsentNeeded as question:
        hint = ("You declined this before; pass --trust-code to run it." if question.declined
                else "Pass --trust-code to run it (remembered for this file's SHA-256), or "
                "--no-trust-code to refuse.")
        raise ConsentNeeded(question.path, f"{question.question}\n{hint}",
                            question.declined) from None
    state = result.extras.get("state_dict")
    if args.save_weights and isinstance(state, dict):
        _save_new(Path(args.save_weights), state)
    elif args.save_weights:
        raise ValueError("--save-weights needs a TorchScript file and --trust-code")
    return result


def _save_new(path: Path, state: dict[str, Any]) -> None:
    """Write the weights to a file that must not exist yet (we never overwrite)."""
    from designer.training.run_dir import save_weights

    if path.exists():
        raise ValueError(f"{path} already exists; choose a new file name")
    save_weights(path, state, {"format": "netdesigner-weights", "source": "TorchScript"})
    print(f"Saved {len(state)} tensors to {path}")


def _zoo_with_weights_file(args: argparse.Namespace) -> Any:
    from designer.surgery.weights_import import open_weights

    return open_weights(Path(args.weights), args.model, load_matching=args.load_matching,
                        input_size=args.input_size)


def _print_analysis(args: argparse.Namespace, design: Any) -> int:
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
