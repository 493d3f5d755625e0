"""Take apart the torch.fx structures we build once their result is extracted.

An fx graph is a web of reference cycles (nodes link both ways and to their graph, a
GraphModule and its graph point at each other, a tracer is held by its proxies and frames).
Dropped as they are, only Python's cyclic collector frees them: on maxvit_t one open left
~25k objects and every analysis ~18k, and the full collection that eventually frees them
stops the GUI thread for 0.3-0.5 s. Unlinking them here lets reference counting free them
at once, on the thread that made them.
"""

from __future__ import annotations

from torch import fx


def release_graph(graph: fx.Graph) -> None:
    """Unlink every node of `graph` (which must not be used afterwards)."""
    nodes = list(graph.nodes)
    for node in reversed(nodes):  # users before what they read: each erased has no users left
        node.users.clear()
        graph.erase_node(node)
    for node in [*nodes, graph._root]:
        node._prev = node._next = None  # erased nodes (and the sentinel) keep their links
        node.meta.clear()  # stack traces, nn_module_stack, values an interpreter stored
    vars(graph).clear()  # the graph <-> sentinel / owning module links


def release_graph_module(module: fx.GraphModule) -> None:
    """Unlink `module`'s graph and drop what it holds (it must not be used afterwards)."""
    release_graph(module.graph)
    vars(module).clear()


def release_tracer(tracer: fx.Tracer) -> None:
    """Drop what a finished tracer holds (the traced module, its graph, scopes), so the
    proxies and frames that still point at the tracer keep nothing big alive. The patcher a
    `DesignTracer` noted (`_patcher`) drops its patches: their closures and it form a cycle."""
    patcher = vars(tracer).get("_patcher")
    for name in ("patches_made", "visited"):
        held = getattr(patcher, name, None)
        if held is not None:
            held.clear()
    vars(tracer).clear()
