"""Errors evaluation raises; each message says what went wrong and what to do."""

from __future__ import annotations

from designer.core.errors import UserError


class EvaluationError(UserError):
    """Evaluation could not finish (unreadable image, model output that does not fit the classes)."""


class EvaluationCancelled(EvaluationError):  # noqa: N818 - reads as an event, like TaskCancelled
    """The caller's ``cancel()`` returned True."""
