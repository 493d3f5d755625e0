"""Errors the zoo raises: each says what went wrong and what the user can do about it.

They all derive from :class:`ZooError` so the GUI can catch one type and show the message as is.
"""

from __future__ import annotations

from designer.core.errors import UserError


class ZooError(UserError):
    """Base of every zoo error; ``str(error)`` is a message fit to show to the user."""


class UnknownModelError(ZooError, LookupError):
    """A model name that is not in the registry."""

    def __init__(self, name: str, close_matches: list[str]) -> None:
        self.name = name
        self.close_matches = close_matches
        hint = f" Did you mean: {', '.join(close_matches)}?" if close_matches else ""
        super().__init__(
            f"Unknown model {name!r}.{hint} Run `netdesigner models` to list the zoo."
        )

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return str(self.args[0])


class MissingPackageError(ZooError, ImportError):
    """A bundled model whose weights package is not installed."""


class CancelledError(ZooError):
    """The caller's ``cancel()`` returned True; nothing was left half-done."""


class DownloadError(ZooError):
    """A download failed for a reason other than being offline (HTTP error, disk full...)."""


class DownloadCancelled(CancelledError, DownloadError):  # noqa: N818 - name from the spec
    """The download was cancelled; the partial file was removed."""


class OfflineError(DownloadError):
    """The network could not be reached (or downloads are disabled)."""


class HashMismatchError(DownloadError):
    """The downloaded bytes do not match the hash embedded in the file name."""


class WeightsError(ZooError):
    """Base of the errors about a weights file."""


class WeightsFileError(WeightsError):
    """The file is unreadable or is not a weights file at all."""


class UnsafeWeightsError(WeightsError):
    """The file holds pickled Python objects, which only an unsafe load would execute."""


class WeightsMismatchError(WeightsError):
    """The weights do not fit the model: keys missing, unexpected or of another shape."""

    def __init__(
        self,
        missing: list[str],
        unexpected: list[str],
        mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]],
        *,
        limit: int = 10,
    ) -> None:
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
        parts = ["These weights do not fit this model (a file for another architecture?)."]
        if missing:
            parts.append(_listing(f"{len(missing)} missing from the file", missing, limit))
        if unexpected:
            parts.append(_listing(f"{len(unexpected)} in the file but not the model", unexpected,
                                  limit))
        if mismatched:
            shown = [f"{key} (file {list(a)} vs model {list(b)})" for key, a, b in mismatched]
            parts.append(_listing(f"{len(mismatched)} with another shape", shown, limit))
        parts.append("Pick the model this file was saved from, or import a matching file.")
        super().__init__("\n".join(parts))


def _listing(title: str, items: list[str], limit: int) -> str:
    more = f", … and {len(items) - limit} more" if len(items) > limit else ""
    return f"{title}: {', '.join(items[:limit])}{more}"


class WeightsChoiceError(ZooError, ValueError):
    """A weights choice that does not exist for this model (e.g. "bundled" for resnet18)."""
