"""Exceptions raised by the exporters; messages say what failed and what to do next."""

from __future__ import annotations

from designer.core.errors import UserError


class ExportError(UserError, RuntimeError):
    """An export did not produce a verified file; nothing was left at the target path."""


class ExportCancelledError(ExportError):
    """The caller's ``cancel()`` returned True; temporary files were removed."""


def describe(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message`` — enough for a dialog, without the traceback."""
    text = str(exc).strip()
    first = text.splitlines()[0][:limit] if text else "no message"
    return f"{type(exc).__name__}: {first}"
