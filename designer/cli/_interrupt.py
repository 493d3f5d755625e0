"""Ctrl-C on the command line: one line and exit status 130, wherever it lands.

Light on purpose (no torch): the command line's entry point imports it to answer a Ctrl-C that
arrives while torch is still loading. Training's own handling is ``StopOnInterrupt`` in
designer.cli._terminal.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

#: Exit status after Ctrl-C (128 + SIGINT), what shells report for an interrupted command.
INTERRUPTED = 130


def interrupted(detail: str = "nothing was saved.") -> int:
    """Print the one line for an interrupted command and return its exit status."""
    print(f"netdesigner: interrupted; {detail}", file=sys.stderr)
    return INTERRUPTED


_seen = {"sigint": False}


def watch_sigint() -> None:
    """Remember a Ctrl-C even when a library swallows its KeyboardInterrupt.

    Some start-up imports guard optional pieces with a bare ``except:``; a Ctrl-C that lands
    there would be lost and the command would go on. The flag lets the next check point
    (:func:`raise_if_interrupted`, before training starts) end the command as asked.
    """
    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        _seen["sigint"] = True
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_sigint)


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived since :func:`watch_sigint` (see there)."""
    if _seen["sigint"]:
        raise KeyboardInterrupt
