"""The open design as the GUI sees it: one object every view observes and sends edits to.

`DesignSession` wraps a `Design` with Qt signals, the current selection and background work:
opening a model (download + trace) and re-analysing after every edit run on a `TaskRunner`,
and the views hear about results on the GUI thread. An edit the user can fix (a `UserError`)
becomes an `error_occurred` message; any other exception is a bug and goes to the crash
handler (`designer.ui.crash`, through `report_unexpected`) with its traceback, while the
design, whose edits are transactions, stays as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from designer.core.analysis import NetworkAnalysis
from designer.core.errors import UserError
from designer.core.network import Network
from designer.workers.task import TaskRunner
from designer.workers.unexpected import report_unexpected

if TYPE_CHECKING:
    from designer.surgery.design import Design

log = logging.getLogger(__name__)

#: event-loop turns a new document state waits before its background analysis starts. The
#: analysis is Python holding the GIL, and while it runs each Python call of the GUI thread
#: (every painted node, every table cell) waits for the GIL, up to 5 ms each: started inside
#: an open it made 140-470 ms gaps of 20-60 ms of GUI work (maxvit_t, resnet50). Two turns let
#: the views show the new state first: the canvas's paint and the views' own refreshes
#: (ui/later.py), then their paint.
ANALYSE_AFTER_TURNS = 2


class DesignSession(QObject):
    """Current design, selection and analysis, with change signals for the views."""

    #: a different design was opened (payload: Design)
    design_replaced = Signal(object)
    #: the document changed (payload: set of changed layer names, or None for structure)
    document_changed = Signal(object)
    #: a fresh analysis of the current document state (payload: NetworkAnalysis)
    analysis_ready = Signal(object)
    #: selected layer names changed (payload: list[str])
    selection_changed = Signal(list)
    #: a user-facing message about an edit or task that failed
    error_occurred = Signal(str)
    #: short status text ("Opened resnet18", "Analysing…")
    status = Signal(str)
    #: the undo history changed (labels, availability)
    history_changed = Signal()
    #: a model is being opened: progress (fraction, message)
    open_progress = Signal(float, str)
    #: a model started opening in the background
    open_started = Signal()
    #: opening finished (True on success)
    open_finished = Signal(bool)
    #: editing became locked/unlocked (e.g. while training this design)
    locked_changed = Signal(bool)
    #: measured share of forward time per layer (payload: dict[str, float], or None: cleared)
    timings_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design: Design | None = None
        self.selection: list[str] = []
        self.analysis: NetworkAnalysis | None = None
        self.locked = False
        #: layer name -> share of the measured forward time (set by the analyzer's profile)
        self.timings: dict[str, float] | None = None
        #: the design a derived one (a pruned copy) was made from: undo returns to it once the
        #: derived design's own edits are undone; None for designs opened any other way
        self.origin: Design | None = None
        self.origin_label = ""
        self._version = 0
        self._analysis_runner = TaskRunner(self)
        self._analysis_runner.succeeded.connect(self._on_analysis_done)
        self._analysis_runner.failed.connect(lambda m, _t: self.error_occurred.emit(
            f"Analysis failed: {m}"))
        self._analysis_runner.finished.connect(self._on_analysis_finished)
        self._pending_analysis = False
        self._analyse_soon = QTimer(self, singleShot=True, interval=0)
        self._analyse_soon.timeout.connect(self._next_turn)
        self._turns_left = 0
        self._closing = False
        self.open_runner = TaskRunner(self)
        self.open_runner.progressed.connect(self.open_progress)
        self.open_runner.succeeded.connect(self._on_open_done)
        self.open_runner.failed.connect(self._on_open_failed)
        self.open_runner.cancelled.connect(self._on_open_cancelled)

    # ----- opening ---------------------------------------------------------------------
    def set_design(self, design: Design) -> None:
        """Make `design` the current one and show it at once: a design opened without its
        analysis (``analyse=False``) is drawn first and analysed in the background, and the
        views get its shapes, MACs and issues through `analysis_ready` when they arrive."""
        if self.design is not None:
            self.design.network.changed.disconnect(self._on_network_changed)
            self.design.history.changed.disconnect(self.history_changed.emit)
        self.design = design
        self.origin, self.origin_label = None, ""
        self.selection = []
        design.network.changed.connect(self._on_network_changed)
        design.history.changed.connect(self.history_changed.emit)
        self._version += 1
        self.analysis = design.cached_analysis
        self.set_timings(None)
        self.design_replaced.emit(design)
        if self.analysis is not None:
            self.analysis_ready.emit(self.analysis)
        self.selection_changed.emit([])
        self.history_changed.emit()
        self.status.emit(f"Opened {design.info.model_name}")
        if self.analysis is None:
            self._analyse_after_views()

    def open_in_background(self, opener: Callable[[Callable[[float, str], None],
                                                   Callable[[], bool]], Design]) -> None:
        """Run `opener(progress, cancelled) -> Design` off the GUI thread, then show it."""
        if self.open_runner.running:
            self.error_occurred.emit("A model is already being opened; wait or cancel it first.")
            return
        self.open_runner.start(opener)
        self.open_started.emit()

    def _on_open_done(self, design: object) -> None:
        from designer.surgery.design import Design  # torch: loaded by the opener already

        assert isinstance(design, Design)
        self.set_design(design)
        self.open_finished.emit(True)

    def _on_open_failed(self, message: str, _traceback: str) -> None:
        self.error_occurred.emit(message)
        self.open_finished.emit(False)

    def _on_open_cancelled(self) -> None:
        self.status.emit("Opening cancelled")
        self.open_finished.emit(False)

    # ----- editing ---------------------------------------------------------------------
    def edit(self, action: Callable[[Design], Any]) -> Any:
        """Apply an edit; a refused one is reported through `error_occurred`, a bug through the
        crash handler; neither is raised (None is returned)."""
        if self.design is None:
            self.error_occurred.emit("Open a model first.")
            return None
        if self.locked:
            self.error_occurred.emit("This design is locked while it trains; stop training or "
                                     "wait for it to finish before editing.")
            return None
        try:
            return action(self.design)
        except UserError as error:
            message = str(error) or type(error).__name__
            log.info("edit refused: %s", message)
            self.error_occurred.emit(message)
            return None
        except Exception as error:  # noqa: BLE001 - a bug: logged and shown by the crash handler
            report_unexpected(error)
            return None

    def open_derived(self, design: Design, label: str) -> None:
        """Show `design`, made from the current one by `label` (e.g. "Prune 30 %"), as a new,
        unsaved design; the current design is kept and Undo returns to it."""
        origin = self.design
        self.set_design(design)
        design.history.set_unsaved()
        self.origin, self.origin_label = origin, label
        self.history_changed.emit()

    @property
    def can_return_to_origin(self) -> bool:
        """Whether Undo would go back to the design this one was derived from."""
        return (self.origin is not None and self.design is not None and not self.locked
                and not self.design.history.can_undo)

    def undo(self) -> None:
        """Undo the last edit (or, on a derived design with no edits left, go back to the
        design it was made from)."""
        if self.can_return_to_origin:
            assert self.origin is not None
            origin, label = self.origin, self.origin_label
            self.set_design(origin)
            self.status.emit(f"Undid {label}: back to {origin.info.model_name}")
            return
        self.edit(lambda d: d.undo())

    def redo(self) -> None:
        """Redo the last undone edit."""
        self.edit(lambda d: d.redo())

    def set_locked(self, locked: bool) -> None:
        """Lock editing (while the design trains)."""
        self.locked = locked
        self.locked_changed.emit(locked)

    def select(self, names: list[str]) -> None:
        """Change the selection (views call this; it echoes to every view)."""
        if names != self.selection:
            self.selection = list(names)
            self.selection_changed.emit(self.selection)

    @property
    def analysing(self) -> bool:
        """True while a background analysis runs or one is queued."""
        return (self._analysis_runner.running or self._pending_analysis
                or self._analyse_soon.isActive())

    def set_timings(self, shares: dict[str, float] | None) -> None:
        """Show (or clear, with None) each layer's share of the measured forward time."""
        self.timings = dict(shares) if shares is not None else None
        self.timings_changed.emit(self.timings)

    # ----- analysis --------------------------------------------------------------------
    def _on_network_changed(self, changed: object) -> None:
        self._version += 1
        kept = [n for n in self.selection if self.design and n in self.design.network]
        pruned = kept != self.selection
        self.selection = kept
        if self.timings is not None:  # measured on the design before this edit: stale
            self.set_timings(None)
        self.document_changed.emit(changed)
        if pruned:  # deleted layers leave the selection: views and the status bar must know
            self.selection_changed.emit(list(kept))
        self._analyse_after_views()

    def _analyse_after_views(self) -> None:
        """Analyse the current state once the views have shown it (`ANALYSE_AFTER_TURNS`)."""
        self._turns_left = ANALYSE_AFTER_TURNS
        self._analyse_soon.start()

    def _next_turn(self) -> None:
        self._turns_left -= 1
        if self._turns_left > 0:
            self._analyse_soon.start()
        else:
            self._request_analysis()

    def _request_analysis(self) -> None:
        self._analyse_soon.stop()
        if self._closing:
            return
        if self._analysis_runner.running:
            self._pending_analysis = True
            return
        design = self.design
        if design is None:
            return
        network = Network(design.network.state().layers)
        store = dict(design.store)
        shape = design.info.input_shape
        version = self._version
        self.status.emit("Analysing…")
        from designer.surgery.analysis import analyze  # torch: loaded with the design

        self._analysis_runner.start(lambda _p, _c: (version, analyze(network, store, shape)))

    def _on_analysis_done(self, result: object) -> None:
        assert isinstance(result, tuple)
        version: int = result[0]
        analysis: NetworkAnalysis = result[1]
        if version != self._version or self.design is None:
            return  # an older document state; a newer analysis is queued
        self.analysis = analysis
        self.design.accept_analysis(analysis)
        self.analysis_ready.emit(analysis)
        issues = len(analysis.issues)
        self.status.emit("Ready" if not issues else f"{issues} issue(s) found by the analyzer")

    def _on_analysis_finished(self) -> None:
        if self._pending_analysis:
            self._pending_analysis = False
            self._request_analysis()

    def shutdown(self) -> None:
        """Stop background work (window closing); a queued analysis is dropped, not started."""
        self._closing = True
        self._pending_analysis = False
        self._analyse_soon.stop()
        self._analysis_runner.shutdown()
        self.open_runner.shutdown()
