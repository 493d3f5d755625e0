"""Turning a visible graph into positioned scene items (nodes, edges, block frames).

Separate from the scene's bookkeeping so the whole build can be timed (bench/canvas_open.py)
and kept free of per-item overhead (no Python callbacks while items are added).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene

from designer.core.analysis import NetworkAnalysis
from designer.core.grouping import BLOCK_PREFIX, VisibleGraph
from designer.core.layout import layered_positions
from designer.core.network import Network
from designer.ui.canvas import blocks, style
from designer.ui.canvas.edge_item import SIDE_LANE, SOURCE_COLUMN, TARGET_COLUMN, EdgeItem
from designer.ui.canvas.frame_item import BlockFrame
from designer.ui.canvas.node_item import LayerItem
from designer.ui.canvas.nodes import NodeView, describe


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
    needed = widest + style.BAND + 2 * style.PAD + 36.0
    return min(max(needed, style.MIN_NODE_WIDTH), style.MAX_NODE_WIDTH)


def place(positions: dict[str, tuple[int, int]], width: float) -> dict[str, tuple[float, float]]:
    """Scene coordinates of the layout's (column, row) cells."""
    unit = (width + style.COLUMN_GAP) / 2
    pitch = style.NODE_HEIGHT + style.ROW_GAP
    return {key: (col * unit, row * pitch) for key, (col, row) in positions.items()}


def build(scene: QGraphicsScene, network: Network, visible: VisibleGraph,
          analysis: NetworkAnalysis | None, collapsed: set[str], framed: set[str]) -> Built:
    """Add items for `visible` to an empty scene."""
    views = node_views(network, visible, analysis)
    width = node_width(views)
    cells = layered_positions(visible.graph)
    coords = place(cells, width)
    built = Built()
    for key, view in views.items():
        item = LayerItem(view, width)
        item.setPos(*coords[key])
        scene.addItem(item)
        built.nodes[key] = item
        for name in view.members:
            built.node_of[name] = key
    lanes = lane_kinds(cells, list(visible.graph.edges))
    for source, target in visible.graph.edges:
        edge = EdgeItem(built.nodes[source], built.nodes[target], lanes[(source, target)])
        scene.addItem(edge)
        built.edges[(source, target)] = edge
    built.frames = _frames(scene, network, built, collapsed, framed)
    return built


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


def _frames(scene: QGraphicsScene, network: Network, built: Built, collapsed: set[str],
            framed: set[str]) -> dict[str, BlockFrame]:
    """Frames for the expanded blocks worth outlining (the network's natural blocks)."""
    members: dict[str, list[LayerItem]] = {}
    for key, item in built.nodes.items():
        group = _group_of(network, key, item)
        for path in blocks.enclosing(group):
            if path in framed and path not in collapsed and blocks.owner(path, collapsed) is None:
                members.setdefault(path, []).append(item)
    inner: dict[str, int] = {}
    for path in sorted(members, key=blocks.depth, reverse=True):
        inner[path] = max((1 + inner[q] for q in inner if q.startswith(path + ".")), default=0)
    frames: dict[str, BlockFrame] = {}
    for path in sorted(members, key=blocks.depth):
        if _mixed(scene, members[path]):
            continue  # the layout interleaves this block with others: a frame would mislead
        frame = BlockFrame(path, members[path], inner[path])
        scene.addItem(frame)
        frames[path] = frame
    return frames


def _mixed(scene: QGraphicsScene, members: list[LayerItem]) -> bool:
    """Whether nodes of other blocks lie inside the box around `members`."""
    box = QRectF()
    for item in members:
        box = box.united(item.mapRectToScene(item.box()))
    mine = set(map(id, members))
    return any(isinstance(other, LayerItem) and id(other) not in mine
               for other in scene.items(box))


def _group_of(network: Network, key: str, item: LayerItem) -> str:
    if key.startswith(BLOCK_PREFIX):
        return key[len(BLOCK_PREFIX):]
    if item.view.last not in network:
        return ""
    layer = network[item.view.last]
    return layer.group if layer.op not in ("input", "output") else ""
