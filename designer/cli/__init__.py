"""`netdesigner` command line: the GUI by default, headless sub-commands for servers and scripts.

Every other module in this package is one sub-command group and exposes
``register(subparsers)``, which adds its sub-parser(s) and sets ``handler`` (a function taking the
parsed namespace and returning an exit code). Modules are discovered, so adding a command is adding
a file; they import torch and friends inside their handlers so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

import designer.cli as _package
from designer.cli._interrupt import interrupted, watch_sigint
from designer.workers.training_child import CHILD_FLAG
from designer.workers.training_child import main as training_process


def _command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(_package.__path__) if not m.name.startswith("_"))


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The full parser (GUI options at top level) and the names of its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="netdesigner",
        description="Point-and-click transfer learning for PyTorch. "
        "With no command, opens the designer window.",
    )
    parser.add_argument("--model", help="zoo model to open in the window (default: bundled Lite0)")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window to a PNG and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        importlib.import_module(f"designer.cli.{name}").register(subparsers)
    return parser, set(subparsers.choices)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `netdesigner` console script; Ctrl-C anywhere ends it with one line
    and exit status 130 (commands that can save work on Ctrl-C do so themselves first)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return interrupted()


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, commands = build_parser()
    if args_list and args_list[0] in commands:
        args = parser.parse_args(args_list)
        return int(args.handler(args))
    gui_parser = argparse.ArgumentParser(prog="netdesigner", parents=[], add_help=False)
    gui_parser.add_argument("--model")
    gui_parser.add_argument("--screenshot")
    gui_parser.add_argument("-h", "--help", action="store_true")
    gui_parser.add_argument("project", nargs="?")
    gui_args, unknown = gui_parser.parse_known_args(args_list)
    if gui_args.help or unknown:
        parser.print_help()
        return 0 if gui_args.help else 2
    from designer.app import run_gui

    return run_gui(project=gui_args.project, model=gui_args.model, screenshot=gui_args.screenshot)


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """Process entry point (`netdesigner`, `python -m designer`): :func:`main`, then exit.

    A headless command exits at once when it is done (files are written and closed, output
    flushed): the interpreter's teardown would otherwise free every module and tensor one by
    one and join library threads, which took seconds after a training run's last line. The
    GUI exits normally.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == [CHILD_FLAG]:  # a frozen app started as its own training process
        training_process(args_list[1:])
    watch_sigint()
    code = main(args_list)
    if args_list and args_list[0] in build_parser()[1]:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    raise SystemExit(code)
