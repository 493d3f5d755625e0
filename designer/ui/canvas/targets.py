"""Where an inserted layer goes when it is dropped on an edge or a node (no Qt here).

A drawn edge can stand for several dataflow edges (blocks, hidden plumbing); the insertion must
land on the dataflow that edge shows, and only there.
"""

from __future__ import annotations

from dataclasses import dataclass

from designer.core.network import Network


@dataclass(frozen=True)
class InsertPoint:
    """Arguments for `Design.insert_layer(after, kind, into=into)`."""

    after: str
    into: str | None = None


def on_node(members: list[str] | tuple[str, ...]) -> InsertPoint:
    """Insert after the node's output (a block's last layer)."""
    return InsertPoint(members[-1])


def on_edge(network: Network, sources: list[str] | tuple[str, ...],
            targets: list[str] | tuple[str, ...]) -> InsertPoint:
    """Insert on the dataflow from the source node's output into the target node.

    When every reader of that output sits in the target node, all of them get the new layer (a
    block whose residual branch also reads the input keeps its shapes consistent); otherwise only
    the first reader inside the target does.
    """
    inside = set(targets)
    for source in reversed(sources):
        readers = _readers(network, source)
        hit = [r for r in readers if r in inside or _feeds(network, r, inside)]
        if hit:
            into = None if len(hit) == len(readers) else hit[0]
            return InsertPoint(source, into)
    return InsertPoint(sources[-1], targets[0] if targets[0] in network else None)


def _readers(network: Network, name: str) -> list[str]:
    return network.consumers(name) if name in network else []


def _feeds(network: Network, reader: str, inside: set[str]) -> bool:
    """A hidden plumbing layer between the source and the target node."""
    return network[reader].plumbing and bool(set(network.consumers(reader)) & inside)
