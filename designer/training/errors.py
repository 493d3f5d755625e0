"""Errors the training engine raises; each message says what went wrong and what to do.

They all derive from :class:`TrainingError` so a caller (the worker, the CLI) can catch one type.
Note that :func:`designer.training.loop.fit` reports failures *during* training in its
:class:`~designer.training.loop.FitResult` instead of raising (see its docstring): these classes
are raised for mistakes that are found before training starts, or carried as causes.
"""

from __future__ import annotations

from designer.core.errors import UserError


class TrainingError(UserError):
    """Base of every training error; ``str(error)`` is fit to show to the user as is."""


class OptionsError(TrainingError, ValueError):
    """An option value that cannot work (unknown solver, negative learning rate, no CUDA...)."""


class SampleLoadError(TrainingError):
    """Loading one sample failed; the message names the sample's index and file.

    It takes a single message argument so that a DataLoader worker can re-raise it in the main
    process (PyTorch rebuilds worker exceptions as ``type(message)``).
    """


class CheckpointError(TrainingError):
    """A checkpoint that cannot be resumed from (missing, corrupt, or from another model)."""


class CallbackError(TrainingError):
    """A callback raised; training stops (or, in ``on_finished``, fit re-raises this)."""


class StopTraining(Exception):  # noqa: N818 - a request, not an error
    """Raise from a callback to ask for a cooperative stop (the run ends with reason "stopped")."""
