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
from typing import TYPE_CHECKING

from designer.core.network import NetworkState
from designer.surgery.import_report import ImportReport
from designer.workers.task import TaskCancelled
from designer.zoo.errors import OfflineError, UnsafeWeightsError, WeightsMismatchError
from designer.zoo.graph_cache import cached_graph, remember_graph, shipped_graph
from designer.zoo.registry import WeightsChoice, create_model, get_entry
from designer.zoo.weights import apply_weights, load_weights_file

if TYPE_CHECKING:
    from designer.surgery.design import Design

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]
Show = Callable[[NetworkState], None]


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
    #: load the tensors of a weights file that fit, keep the model's own for the rest
    load_matching: bool = False
    error: OfflineError | UnsafeWeightsError | None = None
    #: a weights file that fits in part: its report, for the browser to offer the matching part
    report: ImportReport | None = None

    def __call__(self, progress: Progress, cancelled: Cancelled, show: Show | None = None
                 ) -> Design:
        """Open the model (the ``opener`` given to ``DesignSession.open_with_preview``: a zoo
        model's graph is shown with ``show`` before its weights are built)."""
        progress(0.0, f"Opening {get_entry(self.name).display_name}…")
        try:
            if self.allow_unsafe and isinstance(self.weights, Path | str) \
                    and self.weights not in ("none", "pretrained", "bundled"):
                return open_trusting_file(self.name, Path(self.weights), cancelled)
            if isinstance(self.weights, Path):
                return self._open_with_file(self.weights)
            return open_model(self.name, self.weights, progress=progress, cancel=cancelled,
                              analyse=False, preview=show)
        except (OfflineError, UnsafeWeightsError) as error:
            if cancelled():
                raise
            self.error = error
            raise NeedsUserChoice(str(error)) from error


    def _open_with_file(self, path: Path) -> Design:
        """The model with a weights file: whole, or (asked) its matching part; a file that
        fits in part ends the open with its report, one that fits nowhere with the error."""
        from designer.surgery.weights_import import fit_weights

        result = fit_weights(self.name, load_weights_file(path), str(path),
                             load_matching=self.load_matching)
        if result.design is not None:
            return result.design
        weights = result.report.weights
        if weights is None or not weights.loadable:
            raise WeightsMismatchError(list(weights.missing) if weights else [],
                                       list(weights.unexpected) if weights else [],
                                       list(weights.mismatched) if weights else [])
        self.report = result.report
        raise NeedsUserChoice(result.report.came_in)


def open_model(name: str, weights: WeightsChoice, progress: Progress | None = None,
               cancel: Cancelled | None = None, *, analyse: bool = True,
               preview: Show | None = None) -> Design:
    """``designer.surgery.opening.open_model``, imported when first called: it loads torch
    (seconds), which happens on the worker thread that opens the model, not at start-up.

    With ``preview``, the graph this model had when last opened (`designer.zoo.graph_cache`)
    (or shipped with the app, for the bundled models) is shown before torch is even imported;
    else the meta-device preview once it is."""
    graph = (cached_graph(name) or shipped_graph(name)) if preview is not None else None
    if graph is not None and preview is not None:
        preview(graph)
    from designer.surgery import opening

    design = opening.open_model(name, weights, progress=progress, cancel=cancel,
                                analyse=analyse, preview=None if graph is not None else preview)
    if preview is not None and (opened := design.network.state()) != graph:
        remember_graph(name, opened)
    return design


def open_trusting_file(name: str, path: Path, cancelled: Cancelled | None = None) -> Design:
    """Open ``name`` with a weights file loaded with unpickling allowed (user said it is trusted).

    ``create_model``/``open_model`` never unpickle, so this builds the random model and applies
    the file itself; the design is described as ``open_model`` would describe it.
    """
    from designer.surgery.design import Design, DesignInfo
    from designer.surgery.opening import conventions_of

    entry = get_entry(name)
    module = create_model(name, "none", cancel=cancelled)
    apply_weights(module, load_weights_file(path, allow_unsafe=True),
                  entry.ignored_weight_prefixes)
    info = DesignInfo(model_name=entry.name, source=entry.source, weights=str(path),
                      class_names=tuple(entry.categories),
                      preprocessing=entry.preprocessing,
                      input_size=entry.preprocessing.crop_size, **conventions_of(module))
    return Design.from_module(module.eval(), info)
