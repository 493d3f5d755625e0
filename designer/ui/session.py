"""The open design as the GUI sees it: one object every view observes and sends edits to.

`DesignSession` wraps a `Design` with Qt signals, the current selection and background work:
opening a model (download + trace) and re-analysing after every edit run on a `TaskRunner`,
and the views hear about results on the GUI thread. An edit the user can fix (a `UserError`)
becomes an `error_occurred` message; any other exception is a bug and goes to the crash
handler (`designer.ui.crash`, through `report_unexpected`) with its traceback, while the
design, whose edits are transactions, stays as it was.

A model opened with `open_with_preview` is drawn from its graph (`preview`, traced on the meta
device) while its weights are built. Until the design itself arrives nothing can be edited,
saved or trained (those only ever see `design`), and only the newest open request's graph and
design are ever shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from designer.core.analysis import NetworkAnalysis
from designer.core.errors import UserError
from designer.core.network import Network, NetworkState
from designer.workers.task import TaskRunner
from designer.workers.unexpected import report_unexpected

if TYPE_CHECKING:
    from designer.surgery.design import Design

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]
#: opener(progress, cancelled) -> Design, run off the GUI thread
Opener = Callable[[Progress, Cancelled], "Design"]
#: opener(progress, cancelled, show) -> Design, where show(graph) draws the graph first
PreviewOpener = Callable[[Progress, Cancelled, Callable[[NetworkState], None]], "Design"]


@dataclass(frozen=True)
class _Opened:
    """What an open task returns: its request number, and whether the design's graph is the
    one its preview drew (compared on the worker: the drawing is kept as it is)."""

    request: int
    design: Design
    drawn_already: bool


#: event-loop turns a new document state waits before its background analysis starts. The
#: analysis is Python holding the GIL, and while it runs each Python call of the GUI thread
#: (every painted node, every table cell) waits for the GIL, up to 5 ms each: started inside
#: an open it made 140-470 ms gaps of 20-60 ms of GUI work (maxvit_t, resnet50). Two turns let
#: the views show the new state first: the canvas's paint and the views' own refreshes
#: (ui/later.py), then their paint.
ANALYSE_AFTER_TURNS = 2
#: how long an open's thread waits, after handing its preview over, for the GUI thread to
#: draw it (two event-loop turns; the wait ends early then). Without it the thread's next
#: Python work (imports, building the module) made each Qt call of that drawing wait for
#: the GIL: 45-90 ms open stalls of 20-30 ms GUI work (bench/canvas_open.py)
PREVIEW_PAINT_WAIT_S = 0.25


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
    #: the graph of a model being opened is drawn before its weights exist (payload: Network),
    #: or it is withdrawn (None: the open failed, was cancelled or replaced by a newer one)
    preview_changed = Signal(object)
    #: an open task ended, whatever the outcome (payload: the opener given), after its thread
    open_ended = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design: Design | None = None
        self.selection: list[str] = []
        self.analysis: NetworkAnalysis | None = None
        #: the graph of the model being opened, drawn while its weights are built (read-only)
        self.preview: Network | None = None
        #: True while `design_replaced` is emitted for a design whose graph is drawn already
        #: (its preview): views may keep what they drew
        self.drawn_already = False
        self._training_lock = False
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
        self.open_runner.progressed.connect(self._on_open_progress)
        self.open_runner.partial.connect(self._on_open_preview)
        self.open_runner.succeeded.connect(self._on_open_done)
        self.open_runner.failed.connect(self._on_open_failed)
        self.open_runner.cancelled.connect(self._on_open_cancelled)
        self.open_runner.finished.connect(self._on_open_task_finished)
        self._request = 0  # number of the newest open request; older ones are dropped
        self._opener: object = None  # the running task's opener
        self._queued: tuple[object, Callable[..., Any]] | None = None

    @property
    def locked(self) -> bool:
        """Editing is refused: the design trains, or a model being opened is drawn before its
        weights exist."""
        return self._training_lock or self.preview is not None

    @property
    def shown_network(self) -> Network | None:
        """What the canvas draws: the preview of a model being opened, else the design's."""
        if self.preview is not None:
            return self.preview
        return self.design.network if self.design is not None else None

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

    def open_in_background(self, opener: Opener) -> None:
        """Run `opener(progress, cancelled) -> Design` off the GUI thread, then show it. An
        open already running is cancelled: only the newest request is shown."""
        if not callable(opener):
            raise TypeError(f"opener must be callable, not {type(opener).__name__}")
        self._request_open(opener, lambda request: lambda progress, cancelled, _deliver: _Opened(
            request, opener(progress, cancelled), False))

    def open_with_preview(self, opener: PreviewOpener) -> None:
        """Like `open_in_background` for an opener that calls `show(graph)` before it builds
        the weights: the graph is drawn at once (`preview_changed`), editing waits for the
        design, and a design with the same graph keeps the drawing (`drawn_already`)."""
        if not callable(opener):
            raise TypeError(f"opener must be callable, not {type(opener).__name__}")

        def task(request: int) -> Callable[..., _Opened]:
            def run(progress: Progress, cancelled: Cancelled,
                    deliver: Callable[[object], None]) -> _Opened:
                shown: list[NetworkState] = []

                def show(graph: NetworkState) -> None:
                    shown.append(graph)
                    drawn = Network(graph.layers)
                    _ = drawn.graph  # built here (and networkx imported), not on the GUI thread
                    painted = threading.Event()
                    deliver((request, drawn, painted))
                    # the build after this (imports, a module's init) is Python holding the
                    # GIL: the GUI thread draws the preview first, without waiting for it
                    painted.wait(PREVIEW_PAINT_WAIT_S)

                design = opener(progress, cancelled, show)
                return _Opened(request, design,
                               bool(shown) and design.network.state() == shown[-1])
            return run

        self._request_open(opener, task)

    def _request_open(self, opener: object, task: Callable[[int], Callable[..., Any]]) -> None:
        self._request += 1
        self._withdraw_preview()
        if self.open_runner.running:  # replaced: its preview and design are never shown
            self.open_runner.cancel()
            self._queued = (opener, task(self._request))
            return
        self._opener = opener
        self.open_runner.start_partial(task(self._request))
        self.open_started.emit()

    def cancel_open(self) -> None:
        """Cancel the open in progress, and one waiting to start after it."""
        queued, self._queued = self._queued, None
        self.open_runner.cancel()
        if queued is not None:
            self.open_ended.emit(queued[0])

    def _on_open_progress(self, fraction: float, message: str) -> None:
        if self._queued is None:  # not an open being replaced
            self.open_progress.emit(fraction, message)

    def _on_open_task_finished(self) -> None:
        opener, self._opener = self._opener, None
        self.open_ended.emit(opener)
        if self._queued is not None and not self._closing:
            (self._opener, task), self._queued = self._queued, None
            self.open_runner.start_partial(task)
            self.open_started.emit()

    def _on_open_preview(self, payload: object) -> None:
        assert isinstance(payload, tuple)
        request, drawn, painted = payload
        if request != self._request or not isinstance(drawn, Network):
            painted.set()
            return  # an open replaced since
        was_locked = self.locked
        self.preview = drawn
        self.select([])
        self.preview_changed.emit(self.preview)
        if not was_locked:
            self.locked_changed.emit(True)
        # the opening thread goes on once the views have refreshed and painted the drawing
        QTimer.singleShot(0, lambda: QTimer.singleShot(0, painted.set))

    def _withdraw_preview(self) -> bool:
        """Stop drawing a preview (the design, if any, is drawn again); True if one was shown."""
        if self.preview is None:
            return False
        self.preview = None
        self.select([])
        self.preview_changed.emit(None)
        if not self.locked:
            self.locked_changed.emit(False)
        return True

    def _on_open_done(self, result: object) -> None:
        assert isinstance(result, _Opened)
        if result.request != self._request:
            return
        had_preview = self.preview is not None
        self.preview = None
        self.drawn_already = had_preview and result.drawn_already
        try:
            self.set_design(result.design)
        finally:
            self.drawn_already = False
        if had_preview and not self.locked:
            self.locked_changed.emit(False)
        self.open_finished.emit(True)

    def _on_open_failed(self, message: str, _traceback: str) -> None:
        if self._queued is not None:
            return  # replaced by a newer request, which is what the user waits for
        if self._withdraw_preview() and self.design is not None:
            message += f"\n{self.design.info.model_name} is still open, unchanged."
        self.error_occurred.emit(message)
        self.open_finished.emit(False)

    def _on_open_cancelled(self) -> None:
        if self._queued is not None:
            return
        self._withdraw_preview()
        self.status.emit("Opening cancelled")
        self.open_finished.emit(False)

    # ----- editing ---------------------------------------------------------------------
    def edit(self, action: Callable[[Design], Any]) -> Any:
        """Apply an edit; a refused one is reported through `error_occurred`, a bug through the
        crash handler; neither is raised (None is returned)."""
        if self.preview is not None:
            self.error_occurred.emit("The model is still being opened; edit it once its "
                                     "weights are in (the progress window closes then).")
            return None
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
        self._training_lock = bool(locked)
        self.locked_changed.emit(self.locked)

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
        self._queued = None
        self._analyse_soon.stop()
        self._analysis_runner.shutdown()
        self.open_runner.shutdown()
