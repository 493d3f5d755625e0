"""What the canvas shows: layers, or whole blocks collapsed into one node.

Blocks come from module paths (`Layer.group`, e.g. "layer3.1"). A collapsed block is drawn as
one node; helper "plumbing" layers (shape arithmetic) are never drawn, and edges pass through
them. The document owns the grouping, so inserted layers join the block they were put in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from designer.core.network import Network

if TYPE_CHECKING:
    import networkx as nx  # imported where a graph is built: it is not on the start-up path

BLOCK_PREFIX = "block:"


@dataclass(frozen=True)
class VisibleGraph:
    """Nodes and edges to draw, with the layers each node stands for."""

    members: dict[str, list[str]] = field(default_factory=dict)  # node -> layer names
    edges: tuple[tuple[str, str], ...] = ()  # (source node, target node), each once

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The nodes (in `members` order) and edges as a graph, built on first use (the empty
        canvas the window starts with never imports networkx)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.members)
        graph.add_edges_from(self.edges)
        return graph

    def node_of_layer(self, layer: str) -> str | None:
        """The visible node that shows `layer` (itself or its collapsed block)."""
        for node, names in self.members.items():
            if layer in names:
                return node
        return None


def all_groups(network: Network) -> set[str]:
    """Every block path, including the enclosing ones ('layer1' and 'layer1.0')."""
    groups: set[str] = set()
    for group in {layer.group for layer in network}:  # ~300 distinct paths over 1,633 layers
        while group and group not in groups:  # up to the first enclosing path already seen
            groups.add(group)
            group = group.rpartition(".")[0]
    return groups


def groups_at_depth(network: Network, depth: int) -> set[str]:
    """Blocks whose path has exactly `depth` components."""
    return {g for g in all_groups(network) if g.count(".") + 1 == depth}


def default_collapsed(network: Network, max_nodes: int = 60) -> set[str]:
    """The deepest collapse level that still shows at most `max_nodes` nodes.

    resnet152 gets one node per bottleneck (59 nodes), vit_b_16 one per encoder layer.
    """
    groups = all_groups(network)  # once: it walks every layer
    deepest = max((g.count(".") + 1 for g in groups), default=0)
    counts = _DrawnCounts(network)
    best = {g for g in groups if "." not in g}
    for depth in range(2, deepest + 1):
        if counts.at_depth(depth) > max_nodes:
            break
        best = {g for g in groups if g.count(".") + 1 == depth}
    if deepest and counts.expanded <= max_nodes // 2:
        return set()  # small networks are clearer fully expanded
    return best


class _DrawnCounts:
    """How many nodes `visible_graph` draws with every block of one depth collapsed, from
    one walk over the layers (per depth only the ~300 distinct groups are looked at; a walk
    per depth cost ~10 ms on maxvit_t, on the GUI thread as a model opens)."""

    def __init__(self, network: Network) -> None:
        self.loose = 0  # drawn layers never inside a collapsed block (no group, input, output)
        self.in_group: dict[str, int] = {}  # group path -> drawn layers directly in it
        for layer in network:
            if layer.plumbing:
                continue
            if layer.op in ("input", "output") or not layer.group:
                self.loose += 1
            else:
                self.in_group[layer.group] = self.in_group.get(layer.group, 0) + 1
        self.parts = {group: group.split(".") for group in self.in_group}
        self.expanded = self.loose + sum(self.in_group.values())

    def at_depth(self, depth: int) -> int:
        """Nodes drawn when every block `depth` deep is collapsed: one per such block, plus
        each layer of a shallower group."""
        blocks = {".".join(parts[:depth]) for parts in self.parts.values() if len(parts) >= depth}
        shallow = sum(n for group, n in self.in_group.items() if len(self.parts[group]) < depth)
        return len(blocks) + self.loose + shallow


def _owner_cached(group: str, collapsed: set[str], cache: dict[str, str | None]) -> str | None:
    """`_owner`, remembered per group for one pass over the layers (many layers share one)."""
    if group not in cache:
        cache[group] = _owner(group, collapsed)
    return cache[group]


def _owner(group: str, collapsed: set[str]) -> str | None:
    """The outermost collapsed block containing `group`."""
    parts = group.split(".") if group else []
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if prefix in collapsed:
            return prefix
    return None


def visible_graph(network: Network, collapsed: Iterable[str]) -> VisibleGraph:
    """The graph the canvas draws for the given set of collapsed blocks."""
    closed = set(collapsed)
    key_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    owners: dict[str, str | None] = {}
    for layer in network:
        if layer.plumbing:
            continue
        owner = (_owner_cached(layer.group, closed, owners)
                 if layer.op not in ("input", "output") else None)
        key = f"{BLOCK_PREFIX}{owner}" if owner is not None else layer.name
        key_of[layer.name] = key
        members.setdefault(key, []).append(layer.name)
    edges: dict[tuple[str, str], None] = {}  # ordered set
    # one pass in execution order: a hidden (plumbing) layer passes on the drawn layers that
    # feed it, so an edge runs from a drawn layer through any plumbing to the next drawn one
    through: dict[str, set[str]] = {}
    for layer in network:
        sources: set[str] = set()
        for source in network.inputs_of(layer.name):
            if source in key_of:
                sources.add(source)
            else:
                sources |= through.get(source, set())
        drawn_as = key_of.get(layer.name)
        if drawn_as is None:
            through[layer.name] = sources
            continue
        for source in sources:
            if key_of[source] != drawn_as:
                edges[key_of[source], drawn_as] = None
    return VisibleGraph(members, tuple(edges))
