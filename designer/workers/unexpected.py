"""Where errors that are bugs go: the process's excepthook, never a user message.

`designer.core.errors.UserError` (and the environment's own errors: a file, the disk, memory)
carry text written for the user, so they become messages. Anything else is a bug: it is handed
to `sys.excepthook`, where the GUI's crash handler (`designer.ui.crash`) logs the traceback and
shows a dialog (and pytest-qt fails the test that triggered it).
"""

from __future__ import annotations

import sys

from designer.core.errors import UserError


def is_expected(error: BaseException) -> bool:
    """Whether `error`'s message is meant for the user (a UserError, or a file/disk/memory
    problem whose message names the file or the cause)."""
    return isinstance(error, UserError | OSError | MemoryError)


def report_unexpected(error: BaseException) -> None:
    """Send a bug to the top-level handler, with its traceback (safe from any thread)."""
    sys.excepthook(type(error), error, error.__traceback__)


def unexpected_message(error: BaseException) -> str:
    """The short text a view shows for a bug, next to the crash handler's dialog."""
    return (f"Unexpected error ({type(error).__name__}: {error}); the details were written to "
            "the log.")
