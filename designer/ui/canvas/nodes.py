"""What one canvas node says: title, kind, shape, frozen and issue state (no Qt here).

Kept apart from painting so the text and state rules can be checked without a scene, and so a
node can be refreshed from a new analysis without rebuilding the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from designer.core.analysis import NetworkAnalysis
from designer.core.grouping import BLOCK_PREFIX
from designer.core.layers import Layer
from designer.core.network import Network

#: frozen states a node can show
NOT_FROZEN, FROZEN, PARTLY_FROZEN = "", "frozen", "partly frozen"


@dataclass(frozen=True)
class NodeView:
    """Everything a node item draws; recomputed after edits and analyses."""

    key: str
    title: str
    kind: str
    shape: str
    category: str
    members: tuple[str, ...]
    is_block: bool = False
    frozen: str = NOT_FROZEN
    error: str = ""  # message of an error issue on this node ("" when none)
    warning: str = ""
    lr_factor: float = 1.0
    params: int = 0
    stale: bool = False  # shown layers whose analysis is not computed (an earlier layer failed)

    @property
    def first(self) -> str:
        """The first layer this node stands for (execution order)."""
        return self.members[0]

    @property
    def last(self) -> str:
        """The last layer this node stands for: the one whose output leaves a block."""
        return self.members[-1]

    @property
    def problem(self) -> str:
        """The error's reason without the 'name (kind): ' prefix, for the node's last line."""
        return self.error.split("): ", 1)[-1] if self.error else ""

    @property
    def block_path(self) -> str:
        """Module path of a block node ("" for a layer node)."""
        return self.key[len(BLOCK_PREFIX):] if self.is_block else ""

    def tooltip(self) -> str:
        """Hover text: the full name (the box may elide it) plus state and problems."""
        lines = [self.title, self.kind + (f" · output {self.shape}" if self.shape else "")]
        if self.params:
            lines.append(f"{self.params:,} parameters")
        if self.frozen:
            lines.append("Frozen: training will not change its weights" if self.frozen == FROZEN
                         else "Partly frozen: some of its layers will not train")
        if self.lr_factor != 1.0:
            lines.append(f"Learning-rate factor ×{self.lr_factor:g}")
        lines += [f"⚠ {text}" for text in (self.error, self.warning) if text]
        if self.is_block:
            lines.append("Double-click to expand")
        return "\n".join(lines)


def describe(network: Network, key: str, members: list[str],
             analysis: NetworkAnalysis | None) -> NodeView:
    """The view of one visible node (a layer, or a collapsed block of layers)."""
    layers = [network[name] for name in members if name in network]
    if not layers:
        return NodeView(key, key, "", "", "other", tuple(members))
    last = layers[-1]
    error, warning = _issues(analysis, members)
    shape, stale = _shape(analysis, last.name)
    params = sum(ly.num_params for ly in layers)
    if key.startswith(BLOCK_PREFIX):
        shown = [ly for ly in layers if not ly.plumbing]
        return NodeView(key, key[len(BLOCK_PREFIX):], f"{len(shown)} layers", shape,
                        "block", tuple(members), True, _block_frozen(shown), error, warning,
                        _common_lr(shown), params, stale)
    frozen = last.frozen and last.op not in ("input", "output")  # nothing there to train
    return NodeView(key, last.name, _kind_text(last), shape, last.category, tuple(members),
                    False, FROZEN if frozen else NOT_FROZEN, error, warning,
                    last.lr_factor, params, stale)


def _kind_text(layer: Layer) -> str:
    if layer.op in ("input", "output"):
        return layer.op
    return layer.kind if layer.op == "module" else f"{layer.kind}()"


def _shape(analysis: NetworkAnalysis | None, name: str) -> tuple[str, bool]:
    if analysis is None or name not in analysis.layers:
        return "…", False
    info = analysis.layers[name]
    if info.error and analysis.issues_for(name):
        return "error", False
    if info.error:
        return "not computed", True
    return info.shape_text, False


def _issues(analysis: NetworkAnalysis | None, members: list[str]) -> tuple[str, str]:
    if analysis is None:
        return "", ""
    wanted = set(members)
    errors = [i.message for i in analysis.issues if i.layer in wanted and i.severity == "error"]
    warnings = [i.message for i in analysis.issues if i.layer in wanted and i.severity != "error"]
    return (errors[0] if errors else ""), (warnings[0] if warnings else "")


def _block_frozen(layers: list[Layer]) -> str:
    """Frozen if all weighted layers are frozen, partly if some are (weights are what freezing
    changes; a block without weights follows its layers' flags)."""
    judged = [ly for ly in layers if ly.num_params > 0] or layers
    frozen = sum(1 for ly in judged if ly.frozen)
    if judged and frozen == len(judged):
        return FROZEN
    return PARTLY_FROZEN if frozen else NOT_FROZEN


def _common_lr(layers: list[Layer]) -> float:
    factors = {ly.lr_factor for ly in layers if ly.num_params > 0}
    return factors.pop() if len(factors) == 1 else 1.0
