"""`NetworkScene`: the layer graph of the session's design, kept in step with every change.

Structure changes (open, insert, delete, expand) rebuild the items; attribute changes (freeze,
learning-rate factor) and new analyses only refresh the affected nodes' text and state.
Selection is mirrored both ways with `DesignSession.select` / `selection_changed`.

A big rebuild ("Expand all" on maxvit_t: 1,171 nodes) is made in steps of a few milliseconds
between events, so the window keeps painting and answering; `rebuilt` is emitted when the
scene is complete. A new analysis refreshes the nodes in sight at once and the others in steps
of the same budget (`refreshing`), each step with the session's analysis and document as they
are then, so an edit, another analysis or another design meanwhile leaves no stale label.
Reading the scene's nodes, edges or selection while a build or refresh is under way completes
it first, so callers always see a whole, current scene.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable

from PySide6.QtCore import QObject, QRectF, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene

from designer.core.analysis import NetworkAnalysis
from designer.core.grouping import BLOCK_PREFIX, VisibleGraph, default_collapsed, visible_graph
from designer.core.network import Network
from designer.ui.canvas import blocks, build
from designer.ui.canvas.edge_item import EdgeItem
from designer.ui.canvas.node_item import LayerItem
from designer.ui.canvas.nodes import describe
from designer.ui.session import DesignSession

MARGIN = 60.0
#: graphs with at least this many visible nodes are built in steps between events
STEPPED_FROM = 300
#: how long one build or refresh step may hold the GUI thread (the stall target is 50 ms)
STEP_BUDGET_S = 0.010
#: nodes refreshed between two checks of the clock
REFRESH_CHUNK = 25


class NetworkScene(QGraphicsScene):
    """Scene mirroring a `DesignSession`: one `LayerItem` per visible node."""

    #: items were rebuilt (structure, collapse state or a new design)
    rebuilt = Signal()
    #: a different design is shown (views fit it)
    design_shown = Signal()
    #: the selection was changed by another view (payload: the selected LayerItems)
    selected_elsewhere = Signal(list)

    def __init__(self, session: DesignSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.collapsed: set[str] = set()
        self.visible: VisibleGraph = visible_graph(Network(), ())
        self.built = build.Built()
        self._framed: set[str] = set()
        self._syncing = False
        self._sent: list[str] | None = None
        self._job: build.Build | None = None
        self._job_timer = QTimer(self)
        self._job_timer.setInterval(0)
        self._job_timer.timeout.connect(self._build_step)
        #: node keys whose text waits for a refresh step, the ones in sight first
        self._stale: dict[str, None] = {}
        self._stale_after_build = False  # an analysis landed while a build was under way
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_step)
        session.design_replaced.connect(self._on_design_replaced)
        session.preview_changed.connect(self._on_design_replaced)
        session.document_changed.connect(self._on_document_changed)
        session.analysis_ready.connect(self._on_analysis)
        session.selection_changed.connect(self._on_session_selection)
        session.timings_changed.connect(self._on_timings)
        self.selectionChanged.connect(self._on_scene_selection)
        if session.design is not None:
            self._on_design_replaced(session.design)

    # ----- reading ---------------------------------------------------------------------
    @property
    def network(self) -> Network | None:
        """The document shown (None before a model is opened): the design's, or the preview
        of a model being opened (drawn before its weights exist)."""
        return self.session.shown_network

    @property
    def nodes(self) -> dict[str, LayerItem]:
        """Node items by visible-graph key (layer name or 'block:<path>'), all current."""
        self.finish_build()
        self.finish_refresh()
        return self.built.nodes

    @property
    def edges(self) -> dict[tuple[str, str], EdgeItem]:
        """Edge items by (source key, target key)."""
        self.finish_build()
        return self.built.edges

    @property
    def building(self) -> bool:
        """True while a big rebuild is still adding items between events."""
        return self._job is not None

    @property
    def refreshing(self) -> bool:
        """True while nodes out of sight still wait for the latest analysis's text."""
        return bool(self._stale)

    def item_for_layer(self, name: str) -> LayerItem | None:
        """The item showing a layer (itself or the collapsed block that contains it)."""
        self.finish_build()
        key = self.built.node_of.get(name)
        return self.built.nodes.get(key) if key is not None else None

    def block_item(self, path: str) -> LayerItem | None:
        """The node of a collapsed block."""
        self.finish_build()
        return self.built.nodes.get(BLOCK_PREFIX + path)

    def selected_layers(self) -> list[str]:
        """Layer names behind the selected nodes, in execution order."""
        self.finish_build()
        chosen = {n for item in self.selectedItems() if isinstance(item, LayerItem)
                  for n in item.view.members}
        network = self.network
        return [n for n in network.names if n in chosen] if network is not None else []

    def graph_rect(self) -> QRectF:
        """The area covered by nodes and edges (what 'fit' shows)."""
        self.finish_build()
        return self.itemsBoundingRect()

    # ----- collapsing ------------------------------------------------------------------
    def set_collapsed(self, collapsed: set[str]) -> None:
        """Show the network with these blocks collapsed."""
        self.collapsed = set(collapsed)
        self.rebuild()

    def expand_block(self, path: str) -> None:
        """Open a collapsed block one level (its layers or sub-blocks appear)."""
        if self.network is not None:
            self._framed.add(path)
            self.set_collapsed(blocks.expand(self.network, self.collapsed, path))

    def collapse_block(self, path: str) -> None:
        """Fold a block back into one node."""
        self.set_collapsed(blocks.collapse(self.collapsed, path))

    def expand_all(self) -> None:
        """Show every layer."""
        self.set_collapsed(set())

    def collapse_all(self) -> None:
        """Fold every outermost block."""
        if self.network is not None:
            self.set_collapsed(blocks.collapse_all(self.network))

    def reveal(self, name: str) -> LayerItem | None:
        """Expand whatever hides layer `name` and return its item."""
        network = self.network
        if network is None or name not in network:
            return None
        item = self.item_for_layer(name)
        if item is None or item.view.is_block:
            opened = blocks.reveal(network, self.collapsed, name)
            self._framed |= self.collapsed - opened
            self.set_collapsed(opened)
        return self.item_for_layer(name)

    def auto_arrange(self) -> None:
        """Undo manual node moves: back to the layered layout."""
        self.finish_build()
        build.arrange(self.built, self.visible)
        self._fit_scene_rect()

    # ----- building --------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recreate all items from the document and the collapsed set (a big graph in steps
        between events: see `building`; `rebuilt` is emitted when the scene is complete)."""
        network = self.network
        self._drop_job()
        self._drop_refresh()  # the new items are made from the current analysis
        self._syncing = True
        try:
            self.clear()
            self.built = build.Built()
            if network is None:
                return
            self.collapsed = blocks.known(network, self.collapsed)
            self.visible = visible_graph(network, self.collapsed)
            job = build.Build(self, network, self.visible, self.session.analysis,
                              self.collapsed, self._framed)
            self.built = job.built
            if len(self.visible.members) >= STEPPED_FROM:
                self._job = job
                job.step(STEP_BUDGET_S)
                self._job_timer.start()
                return
            job.finish()
        finally:
            self._syncing = False
        self._complete_build()

    def finish_build(self) -> None:
        """Complete a stepped rebuild now (no-op when none is under way)."""
        job = self._job
        if job is not None:
            self._drop_job()
            self._syncing = True
            try:
                job.finish()
            finally:
                self._syncing = False
            self._complete_build()

    def _build_step(self) -> None:
        job = self._job
        if job is None:
            self._job_timer.stop()
            return
        placed = job.nodes_done
        self._syncing = True
        try:
            done = job.step(STEP_BUDGET_S)
        finally:
            self._syncing = False
        if done:
            self._drop_job()
            self._complete_build()
        elif job.nodes_done and not placed:
            self._fit_scene_rect()  # scroll bars reach the whole graph while edges follow

    def _drop_job(self) -> None:
        self._job = None
        self._job_timer.stop()

    def _complete_build(self) -> None:
        self._syncing = True
        try:
            self._select_items(self.session.selection)
            self._fit_scene_rect()
            self._on_timings(self.session.timings)
        finally:
            self._syncing = False
        if self._stale_after_build:  # items made before it landed show the older analysis
            self._stale_after_build = False
            self._refresh_later(list(self.built.nodes))
        self.rebuilt.emit()

    def _fit_scene_rect(self) -> None:
        """Scene rect symmetric about x = 0, where the layout centres its columns, so a view
        wider than the graph shows it in the middle whatever labels stick out on one side."""
        rect = self.itemsBoundingRect()
        half = max(abs(rect.left()), abs(rect.right())) + MARGIN
        self.setSceneRect(QRectF(-half, rect.top() - MARGIN, 2 * half, rect.height() + 2 * MARGIN))

    def _refresh(self, keys: Iterable[str]) -> None:
        """Give these nodes the text and state of the current document and analysis."""
        self.finish_build()
        network, analysis = self.network, self.session.analysis
        if network is None:
            return
        for key in keys:
            item = self.built.nodes.get(key)
            if item is not None:
                view = describe(network, key, self.visible.members[key], analysis)
                if view != item.view:
                    item.set_view(view)

    def _refresh_later(self, keys: list[str]) -> None:
        """Refresh `keys`: those in sight now, then the rest in steps between events."""
        sight = self._in_sight()
        for key in sorted(keys, key=lambda k: k not in sight):  # stable: in sight first
            self._stale[key] = None
        self._refresh_step()
        if self._stale:
            self._refresh_timer.start()

    def _refresh_step(self) -> None:
        """Refresh stale nodes for about `STEP_BUDGET_S` (at least one chunk)."""
        deadline = time.perf_counter() + STEP_BUDGET_S
        while self._stale:
            chunk = list(itertools.islice(self._stale, REFRESH_CHUNK))
            for key in chunk:
                del self._stale[key]
            self._refresh(chunk)
            if time.perf_counter() >= deadline:
                break
        if not self._stale:
            self._refresh_timer.stop()

    def finish_refresh(self) -> None:
        """Refresh every node still waiting for the latest analysis now."""
        if self._stale:
            keys = list(self._stale)
            self._drop_refresh()
            self._refresh(keys)

    def _drop_refresh(self) -> None:
        self._stale.clear()
        self._stale_after_build = False
        self._refresh_timer.stop()

    def _in_sight(self) -> set[str]:
        """Keys of the nodes inside any view's visible area (from their positions: asking the
        scene for items in a rectangle calls every item's Python `boundingRect`)."""
        areas = [view.mapToScene(view.viewport().rect()).boundingRect() for view in self.views()
                 if view.isVisible()]
        if not areas:
            return set()
        return {key for key, item in self.built.nodes.items()
                if any(area.intersects(item.box().translated(item.pos())) for area in areas)}

    # ----- session signals -------------------------------------------------------------
    def _on_design_replaced(self, _design: object) -> None:
        if self.session.drawn_already:
            return  # the design of the preview drawn: the same graph, kept as the user sees it
        network = self.network
        self.collapsed = default_collapsed(network) if network is not None else set()
        self._framed = set(self.collapsed)
        self.rebuild()
        self.design_shown.emit()

    def _on_document_changed(self, names: object) -> None:
        if names is None:
            self.rebuild()
            return
        assert isinstance(names, set | frozenset | list | tuple)
        self.finish_build()
        keys = {self.built.node_of[n] for n in names if n in self.built.node_of}
        # "Freeze backbone" on an expanded maxvit_t changes ~1,100 nodes: in sight first
        self._refresh_later([key for key in self.built.nodes if key in keys])

    def _on_timings(self, shares: object) -> None:
        """Colour every node by its layers' share of the measured time (None: normal colours)."""
        times = shares if isinstance(shares, dict) else None
        for key, item in self.built.nodes.items():
            members = self.visible.members.get(key, [key])
            item.set_heat(None if times is None else sum(times.get(m, 0.0) for m in members))

    def _on_analysis(self, analysis: object) -> None:
        """Shapes, MACs and issues of a new analysis (the session's current one): the nodes in
        sight now, the others in steps (a build under way refreshes when it completes)."""
        assert isinstance(analysis, NetworkAnalysis)
        if self._job is not None:
            self._stale_after_build = True
            return
        self._refresh_later(list(self.built.nodes))

    # ----- selection -------------------------------------------------------------------
    def _on_scene_selection(self) -> None:
        if self._syncing:
            return
        names = self.selected_layers()
        self._sent = names
        self.session.select(names)

    def _on_session_selection(self, names: list[str]) -> None:
        if names == self._sent:
            self._sent = None
            return  # our own selection echoed back
        self._sent = None
        self.finish_build()
        hidden = [n for n in names if self._hidden_in_block(n, names)]
        for name in hidden[:8]:  # revealing many layers would unfold most of the network
            self.reveal(name)
        self._syncing = True
        try:
            items = self._select_items(names)
        finally:
            self._syncing = False
        if items:
            self.selected_elsewhere.emit(items)

    def _hidden_in_block(self, name: str, names: list[str]) -> bool:
        """A layer selected alone inside a collapsed block (not the whole block selected)."""
        item = self.item_for_layer(name)
        return item is not None and item.view.is_block and not set(item.view.members) <= set(names)

    def _select_items(self, names: list[str]) -> list[LayerItem]:
        wanted = {self.built.node_of[n] for n in names if n in self.built.node_of}
        chosen: list[LayerItem] = []
        for key, item in self.built.nodes.items():
            item.setSelected(key in wanted)
            if key in wanted:
                chosen.append(item)
        return chosen
