"""The background function that opens a zoo model for the browser, and its recoverable errors.

Two failures are better answered with a choice than with an error box: no network (offer
random weights, a file or the bundled model) and a weights file that needs unsafe unpickling
(ask whether the user trusts it). The opener records such an error on its ``OpenAttempt`` and
raises ``NeedsUserChoice``, a ``TaskCancelled``, so the session ends the open quietly (no
generic error message) and the browser asks its question once the task has finished.
Every other error propagates and reaches the user through ``DesignSession.error_occurred``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from designer.surgery.design import Design, DesignInfo
from designer.surgery.opening import conventions_of, open_model
from designer.workers.task import TaskCancelled
from designer.zoo.errors import OfflineError, UnsafeWeightsError
from designer.zoo.registry import WeightsChoice, create_model, get_entry
from designer.zoo.weights import apply_weights, load_weights_file

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]


class NeedsUserChoice(TaskCancelled):
    """The open stopped on an error the browser resolves by asking the user (see module doc)."""


@dataclass
class OpenAttempt:
    """One request to open ``name``; ``error`` is set (on the worker) for a recoverable failure.

    The worker writes ``error`` before the task's end is signalled to the GUI thread, and the
    GUI thread reads it only after that signal, so no lock is needed.
    """

    name: str
    weights: WeightsChoice
    allow_unsafe: bool = False
    error: OfflineError | UnsafeWeightsError | None = None

    def __call__(self, progress: Progress, cancelled: Cancelled) -> Design:
        """Open the model (the ``opener`` given to ``DesignSession.open_in_background``)."""
        progress(0.0, f"Opening {get_entry(self.name).display_name}…")
        try:
            if self.allow_unsafe and isinstance(self.weights, Path | str) \
                    and self.weights not in ("none", "pretrained", "bundled"):
                return open_trusting_file(self.name, Path(self.weights), cancelled)
            return open_model(self.name, self.weights, progress=progress, cancel=cancelled)
        except (OfflineError, UnsafeWeightsError) as error:
            if cancelled():
                raise
            self.error = error
            raise NeedsUserChoice(str(error)) from error


def open_trusting_file(name: str, path: Path, cancelled: Cancelled | None = None) -> Design:
    """Open ``name`` with a weights file loaded with unpickling allowed (user said it is trusted).

    ``create_model``/``open_model`` never unpickle, so this builds the random model and applies
    the file itself; the design is described as ``open_model`` would describe it.
    """
    entry = get_entry(name)
    module = create_model(name, "none", cancel=cancelled)
    apply_weights(module, load_weights_file(path, allow_unsafe=True),
                  entry.ignored_weight_prefixes)
    info = DesignInfo(model_name=entry.name, source=entry.source, weights=str(path),
                      class_names=tuple(entry.categories),
                      preprocessing=entry.preprocessing,
                      input_size=entry.preprocessing.crop_size, **conventions_of(module))
    return Design.from_module(module.eval(), info)
