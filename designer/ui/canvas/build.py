"""Turning a visible graph into positioned scene items (nodes, edges, block frames).

Separate from the scene's bookkeeping so the whole build can be timed (bench/canvas_open.py)
and kept free of per-item overhead (no Python callbacks while items are added).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene

from designer.core.analysis import NetworkAnalysis
from designer.core.grouping import BLOCK_PREFIX, VisibleGraph
from designer.core.layout import layered_positions, layered_positions_in_steps
from designer.core.network import Network
from designer.ui.canvas import blocks, style
from designer.ui.canvas.edge_item import SIDE_LANE, SOURCE_COLUMN, TARGET_COLUMN, EdgeItem
from designer.ui.canvas.frame_item import BlockFrame
from designer.ui.canvas.node_item import LayerItem
from designer.ui.canvas.nodes import NodeView, describe

_T = TypeVar("_T")


@dataclass
class Built:
    """What one build put into the scene."""

    nodes: dict[str, LayerItem] = field(default_factory=dict)
    edges: dict[tuple[str, str], EdgeItem] = field(default_factory=dict)
    frames: dict[str, BlockFrame] = field(default_factory=dict)
    node_of: dict[str, str] = field(default_factory=dict)  # layer name -> node key


def node_views(network: Network, visible: VisibleGraph,
               analysis: NetworkAnalysis | None) -> dict[str, NodeView]:
    """Text and state of every visible node."""
    return {key: describe(network, key, members, analysis)
            for key, members in visible.members.items()}


def node_width(views: dict[str, NodeView]) -> float:
    """One width for all nodes (clean columns), wide enough for most titles."""
    title_fm, _ = style.metrics()
    widest = max((title_fm.horizontalAdvance(v.title) for v in views.values()), default=0.0)
    return _width_for(widest)


def _width_for(widest_title: float) -> float:
    needed = widest_title + style.BAND + 2 * style.PAD + 36.0
    return min(max(needed, style.MIN_NODE_WIDTH), style.MAX_NODE_WIDTH)


def place(positions: dict[str, tuple[int, int]], width: float) -> dict[str, tuple[float, float]]:
    """Scene coordinates of the layout's (column, row) cells."""
    unit = (width + style.COLUMN_GAP) / 2
    pitch = style.NODE_HEIGHT + style.ROW_GAP
    return {key: (col * unit, row * pitch) for key, (col, row) in positions.items()}


def build(scene: QGraphicsScene, network: Network, visible: VisibleGraph,
          analysis: NetworkAnalysis | None, collapsed: set[str], framed: set[str]) -> Built:
    """Add items for `visible` to an empty scene, all at once."""
    return Build(scene, network, visible, analysis, collapsed, framed).finish()


class Build:
    """One scene build cut into short steps, so that a big graph (maxvit_t expanded: 1,171
    nodes, ~0.1 s of Python even on a quiet machine) never holds the GUI thread longer than a
    step: `step(budget)` works until the budget is spent and returns whether it is done;
    `finish()` does the rest at once. Items appear in `built` as they are made, nodes first
    (top to bottom), then edges, then block frames."""

    #: items made between two checks of the clock
    CHUNK = 40

    def __init__(self, scene: QGraphicsScene, network: Network, visible: VisibleGraph,
                 analysis: NetworkAnalysis | None, collapsed: set[str], framed: set[str]) -> None:
        self.scene = scene
        self.network = network
        self.visible = visible
        self.analysis = analysis
        self.collapsed = collapsed
        self.framed = framed
        self.built = Built()
        #: every node item exists (the graph's extent is known; edges and frames follow)
        self.nodes_done = False
        self.done = False
        self._steps = self._run()

    def step(self, budget_s: float) -> bool:
        """Work for about `budget_s` seconds (at least one chunk); True when the build is done."""
        deadline = time.perf_counter() + budget_s
        while not self.done:
            self._advance()
            if time.perf_counter() >= deadline:
                break
        return self.done

    def finish(self) -> Built:
        """Do what is left and return the complete build."""
        while not self.done:
            self._advance()
        return self.built

    def _advance(self) -> None:
        if next(self._steps, None) is None and not self.done:
            self.done = True

    def _run(self) -> Iterator[bool]:
        keys = list(self.visible.members)
        views: dict[str, NodeView] = {}
        for part in _chunks(keys, self.CHUNK * 3):
            views.update((key, describe(self.network, key, self.visible.members[key],
                                        self.analysis)) for key in part)
            yield True
        widest = 0.0
        title_fm, _ = style.metrics()
        for part in _chunks(keys, self.CHUNK * 5):
            widest = max([widest, *(title_fm.horizontalAdvance(views[k].title) for k in part)])
            yield True
        width = _width_for(widest)
        cells = yield from layered_positions_in_steps(self.visible.graph,
                                                      nodes_per_step=self.CHUNK * 4)
        coords = place(cells, width)
        yield True
        built = self.built
        for part in _chunks(sorted(keys, key=lambda k: cells[k][1]), self.CHUNK):
            for key in part:
                item = LayerItem(views[key], width)
                item.setPos(*coords[key])
                self.scene.addItem(item)
                built.nodes[key] = item
                for name in views[key].members:
                    built.node_of[name] = key
            yield True
        built.nodes = {key: built.nodes[key] for key in keys}  # the visible graph's order
        self.nodes_done = True
        yield True
        edges: list[tuple[str, str]] = list(self.visible.graph.edges)
        lanes = lane_kinds(cells, edges)
        for pairs in _chunks(edges, self.CHUNK):
            for source, target in pairs:
                edge = EdgeItem(built.nodes[source], built.nodes[target], lanes[(source, target)])
                self.scene.addItem(edge)
                built.edges[(source, target)] = edge
            yield True
        yield from self._frames(_Boxes(built.nodes.values()))

    def _frames(self, boxes: _Boxes) -> Iterator[bool]:
        """Frames for the expanded blocks worth outlining (the network's natural blocks)."""
        collapsed, framed, built = self.collapsed, self.framed, self.built
        members: dict[str, list[LayerItem]] = {}
        for part in _chunks(list(built.nodes.items()), self.CHUNK * 5):
            for key, item in part:
                group = _group_of(self.network, key, item)
                for path in blocks.enclosing(group):
                    if (path in framed and path not in collapsed
                            and blocks.owner(path, collapsed) is None):
                        members.setdefault(path, []).append(item)
            yield True
        inner: dict[str, int] = {}
        for path in sorted(members, key=blocks.depth, reverse=True):
            inner[path] = max((1 + inner[q] for q in inner if q.startswith(path + ".")),
                              default=0)
        for path in sorted(members, key=blocks.depth):
            if _mixed(boxes, members[path]):
                continue  # the layout interleaves this block with others: a frame would mislead
            frame = BlockFrame(path, members[path], inner[path])
            self.scene.addItem(frame)
            built.frames[path] = frame
            yield True


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def lane_kinds(cells: dict[str, tuple[int, int]],
               edges: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Per edge: run down a column that is free over its span, else a lane beside the nodes."""
    taken: dict[int, set[int]] = {}
    for column, row in cells.values():
        taken.setdefault(column, set()).add(row)
    kinds: dict[tuple[str, str], str] = {}
    for source, target in edges:
        (c0, r0), (c1, r1) = cells[source], cells[target]
        between = set(range(r0 + 1, r1))
        if not between & taken.get(c0, set()):
            kinds[(source, target)] = SOURCE_COLUMN
        elif not between & taken.get(c1, set()):
            kinds[(source, target)] = TARGET_COLUMN
        else:
            kinds[(source, target)] = SIDE_LANE
    return kinds


def arrange(built: Built, visible: VisibleGraph) -> None:
    """Put every node back where the layered layout wants it (undoes manual moves)."""
    if not built.nodes:
        return
    width = next(iter(built.nodes.values())).width
    for key, (x, y) in place(layered_positions(visible.graph), width).items():
        built.nodes[key].setPos(x, y)
    for item in built.nodes.values():
        item.follow()


def _mixed(boxes: _Boxes, members: list[LayerItem]) -> bool:
    """Whether nodes of other blocks lie inside the box around `members` (from the nodes'
    positions: asking the scene would call every item's Python `shape()`, ~2 s on maxvit_t)."""
    box = QRectF()
    for item in members:
        box = box.united(item.box().translated(item.pos()))
    return boxes.any_other_in(box, set(map(id, members)))


class _Boxes:
    """The nodes' boxes in scene coordinates, sorted by their top edge for range queries."""

    def __init__(self, items: Iterable[LayerItem]) -> None:
        placed = sorted(((item.box().translated(item.pos()), id(item)) for item in items),
                        key=lambda pair: pair[0].top())
        self.rects = [rect for rect, _ in placed]
        self.ids = [ident for _, ident in placed]
        self.tops = [rect.top() for rect in self.rects]
        self.tallest = max((rect.height() for rect in self.rects), default=0.0)

    def any_other_in(self, box: QRectF, mine: set[int]) -> bool:
        """Whether a node not in `mine` intersects `box`."""
        start = bisect.bisect_right(self.tops, box.top() - self.tallest)
        end = bisect.bisect_left(self.tops, box.bottom())
        return any(self.ids[i] not in mine and self.rects[i].intersects(box)
                   for i in range(start, end))


def _group_of(network: Network, key: str, item: LayerItem) -> str:
    if key.startswith(BLOCK_PREFIX):
        return key[len(BLOCK_PREFIX):]
    if item.view.last not in network:
        return ""
    layer = network[item.view.last]
    return layer.group if layer.op not in ("input", "output") else ""
