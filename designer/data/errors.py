"""Exceptions of the data package: each names the file or folder and what the user can do."""

from __future__ import annotations

import re
from pathlib import Path

from designer.core.errors import UserError


class DataError(UserError):
    """Base class for problems with the user's images or folders."""


class DataSourceError(DataError):
    """A folder cannot be imported as a dataset (missing, empty, no class folders...)."""


class TransformError(DataError):
    """An image that loaded fine could not be prepared for the model (resize, crop, augment):
    the settings are the cause, not the file. One message argument, so a DataLoader worker can
    re-raise it in the main process."""


class SampleError(DataError):
    """One image could not be read; carries the path so a training loop can name the file.

    A DataLoader worker re-raises it in the main process as ``SampleError(formatted_traceback)``;
    that single-argument form parses the path and reason back out of the traceback text.
    """

    def __init__(self, path: Path | str, reason: str | None = None, kind: str = "corrupt") -> None:
        self.worker_traceback: str | None = None
        if reason is None:
            self.worker_traceback = str(path)
            path, reason, kind = _parse_worker_message(str(path))
        self.path = Path(path)
        self.reason = reason
        #: Short machine-readable category, the same words as ``BadFile.kind``.
        self.kind = kind
        super().__init__(f"cannot load image {self.path}: {reason}")

    def __reduce__(self) -> tuple[type[SampleError], tuple[Path, str, str]]:
        # DataLoader worker processes pickle exceptions back to the main process.
        return (SampleError, (self.path, self.reason, self.kind))


_WORKER_LINE = re.compile(r"SampleError: cannot load image (.+?): (.*)$", re.MULTILINE)


def _parse_worker_message(text: str) -> tuple[str, str, str]:
    """(path, reason, kind) from a DataLoader worker's formatted traceback."""
    matches = _WORKER_LINE.findall(text)
    if not matches:
        return "<unknown file>", text.strip().splitlines()[-1] if text.strip() else "", "corrupt"
    path, reason = matches[-1]
    return path, reason, "corrupt"


class ManifestError(DataError):
    """A saved split manifest is unreadable or does not match the data on disk."""


class OperationCancelledError(DataError):
    """The user cancelled a scan or health check through the ``cancel`` callback."""
