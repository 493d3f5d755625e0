"""The layered layout in steps (so the canvas lays out a big graph between events) gives every
node a place in data-flow order, and hands control back many times on a big graph."""

from __future__ import annotations

import networkx as nx
import pytest

from designer.core.layout import layered_positions_in_steps


def _ladder(blocks: int) -> nx.DiGraph:
    """A residual network's shape: per block a branch of two nodes and a skip edge."""
    graph = nx.DiGraph()
    previous = "input"
    graph.add_node(previous)
    for b in range(blocks):
        a, c, add = f"b{b}_a", f"b{b}_c", f"b{b}_add"
        graph.add_edges_from([(previous, a), (a, c), (c, add), (previous, add)])
        previous = add
    return graph


def test_a_big_graph_is_laid_out_in_many_steps_in_data_flow_order() -> None:
    graph = _ladder(200)  # 601 nodes
    steps = layered_positions_in_steps(graph, nodes_per_step=150)
    yielded = 0
    while True:
        try:
            next(steps)
            yielded += 1
        except StopIteration as done:
            cells = done.value
            break
    assert yielded >= 4, "the work is cut into steps"
    assert set(cells) == set(graph)
    assert all(cells[s][1] < cells[t][1] for s, t in graph.edges), "rows follow the data flow"
    assert cells["b0_add"][0] == cells["input"][0] == 0, "the main line stays in the middle"


def test_an_empty_graph_has_no_positions_and_no_steps() -> None:
    with pytest.raises(StopIteration) as done:
        next(layered_positions_in_steps(nx.DiGraph()))
    assert done.value.value == {}
