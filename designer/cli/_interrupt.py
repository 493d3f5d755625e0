"""Ctrl-C on the command line: one line and exit status 130, wherever it lands.

Light on purpose (no torch): the command line's entry point imports it to answer a Ctrl-C that
arrives while torch is still loading. Training's own handling is ``StopOnInterrupt`` in
designer.cli._terminal.
"""

from __future__ import annotations

import sys

#: Exit status after Ctrl-C (128 + SIGINT), what shells report for an interrupted command.
INTERRUPTED = 130


def interrupted(detail: str = "nothing was saved.") -> int:
    """Print the one line for an interrupted command and return its exit status."""
    print(f"netdesigner: interrupted; {detail}", file=sys.stderr)
    return INTERRUPTED
