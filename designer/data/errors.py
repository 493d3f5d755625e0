"""Exceptions of the data package: each names the file or folder and what the user can do."""

from __future__ import annotations

from pathlib import Path


class DataError(Exception):
    """Base class for problems with the user's images or folders."""


class DataSourceError(DataError):
    """A folder cannot be imported as a dataset (missing, empty, no class folders...)."""


class SampleError(DataError):
    """One image could not be read; carries the path so a training loop can name the file."""

    def __init__(self, path: Path | str, reason: str, kind: str = "corrupt") -> None:
        self.path = Path(path)
        self.reason = reason
        #: Short machine-readable category, the same words as ``BadFile.kind``.
        self.kind = kind
        super().__init__(f"cannot load image {self.path}: {reason}")

    def __reduce__(self) -> tuple[type[SampleError], tuple[Path, str, str]]:
        # DataLoader worker processes pickle exceptions back to the main process.
        return (SampleError, (self.path, self.reason, self.kind))


class ManifestError(DataError):
    """A saved split manifest is unreadable or does not match the data on disk."""


class OperationCancelledError(DataError):
    """The user cancelled a scan or health check through the ``cancel`` callback."""
