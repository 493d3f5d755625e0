"""`netdesigner` command line: the GUI by default, headless sub-commands for servers and scripts.

Each sub-command lives in its own module in this package and exposes
``register(subparsers)``; the module is imported only when it is listed in ``COMMANDS``, so
``netdesigner --help`` stays fast and a broken optional dependency breaks only its command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: sub-command name -> module (inside designer.cli) that registers it
COMMANDS: dict[str, str] = {}


def _register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for module_name in dict.fromkeys(COMMANDS.values()):
        module = importlib.import_module(f"designer.cli.{module_name}")
        module.register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (GUI options at top level, sub-commands below)."""
    parser = argparse.ArgumentParser(
        prog="netdesigner",
        description="Point-and-click transfer learning for PyTorch. "
        "With no sub-command, opens the designer window.",
    )
    parser.add_argument("--model", help="zoo model to open in the window (default: bundled Lite0)")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window to a PNG and exit")
    parser.add_argument("project", nargs="?", help="project to open in the window")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _register_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `netdesigner` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if args_list and args_list[0] in COMMANDS:
        args = parser.parse_args(args_list)
        return int(args.handler(args))
    args = parser.parse_args(args_list)
    from designer.app import run_gui

    return run_gui(project=args.project, model=args.model, screenshot=args.screenshot)
