"""The one base class for errors the user can fix.

Every error that means "this input, file, choice or situation is not possible; here is why and
what to do" derives from `UserError`: a bad edit (`EditError`), a bad data folder (`DataError`),
bad training options, unusable weights, a project or export that cannot be written, ... The GUI
shows only these as messages (their text is written for the user); anything else is a bug and
goes to the crash handler, which logs the traceback. Catch `UserError`, never bare
`ValueError`/`RuntimeError`, when deciding what the user sees.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message (`str(error)`) tells the user what is wrong and how to fix it."""
