"""Which blocks are collapsed: expanding one level, revealing a layer, collapsing (no Qt here).

The canvas keeps a set of collapsed module paths; these functions compute the next set so the
rules (one level at a time, skipping levels that only wrap one child) are testable on their own.
"""

from __future__ import annotations

from designer.core.grouping import all_groups
from designer.core.network import Network


def depth(group: str) -> int:
    """Number of components of a module path ('layer1.0' -> 2)."""
    return group.count(".") + 1 if group else 0


def enclosing(group: str) -> list[str]:
    """Every block containing a layer of this group, outermost first ('a.b' -> ['a', 'a.b'])."""
    parts = group.split(".") if group else []
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def owner(group: str, collapsed: set[str]) -> str | None:
    """The outermost collapsed block containing `group` (None when the layer is shown)."""
    return next((g for g in enclosing(group) if g in collapsed), None)


def _sizes(network: Network) -> dict[str, int]:
    """Shown (non-plumbing) layers per block path, counting nested blocks' layers."""
    sizes: dict[str, int] = {}
    for layer in network:
        if layer.plumbing or layer.op in ("input", "output"):
            continue
        for group in enclosing(layer.group):
            sizes[group] = sizes.get(group, 0) + 1
    return sizes


def _direct_layers(network: Network, path: str) -> int:
    return sum(1 for ly in network if ly.group == path and not ly.plumbing)


#: child blocks this small open together with their parent (a 2-layer 'downsample' block
#: folded on its own only hides what the user just asked to see)
SMALL_BLOCK = 3


def expand(network: Network, collapsed: set[str], path: str) -> set[str]:
    """Open block `path` one level: its child blocks (unless small) appear collapsed.

    Levels that only wrap a single child block are opened through, so one double-click always
    shows more than one node.
    """
    sizes = _sizes(network)
    result = set(collapsed) - {path}
    while True:
        prefix = path + "."
        children = sorted(g for g in sizes if g.startswith(prefix) and depth(g) == depth(path) + 1)
        worth = [g for g in children if sizes[g] > SMALL_BLOCK]
        if len(children) == 1 and not _direct_layers(network, path):
            path = children[0]
            result.discard(path)
            continue
        result |= set(worth)
        return result


def collapse(collapsed: set[str], path: str) -> set[str]:
    """Close block `path` (blocks inside it are forgotten, so re-expanding starts one level down)."""
    prefix = path + "."
    return {g for g in collapsed if not g.startswith(prefix)} | {path}


def reveal(network: Network, collapsed: set[str], layer: str) -> set[str]:
    """The collapsed set with every block hiding `layer` opened (as few levels as needed)."""
    if layer not in network:
        return set(collapsed)
    group = network[layer].group
    result = set(collapsed)
    for _ in range(depth(group) + 1):
        hiding = owner(group, result)
        if hiding is None:
            break
        result = expand(network, result, hiding)
    return result


def collapse_all(network: Network) -> set[str]:
    """Every outermost block collapsed (the most compact view)."""
    return {g for g in all_groups(network) if depth(g) == 1}


def known(network: Network, collapsed: set[str]) -> set[str]:
    """Drop paths that no longer exist after an edit."""
    return collapsed & all_groups(network)
