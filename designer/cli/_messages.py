"""How a command reports a failure: one plain line, no traceback (light: no torch at import)."""

from __future__ import annotations

import sys


def fail(error: BaseException | str) -> int:
    """Print one plain line on stderr (a known failure in its own words, with the fix); exit 1.
    Tracebacks are not shown: the engine writes them to the run's log."""
    if isinstance(error, BaseException):
        from designer.training.failures import explain, last_message

        error = explain(error) or last_message(error)
    print(f"netdesigner: {error}", file=sys.stderr)
    return 1
