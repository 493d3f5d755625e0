"""Which layers are helper "plumbing" (shape arithmetic, asserts, unused results) and stay hidden.

The rule is the analysis's: a layer is plumbing when it carries no tensor (its analysed value is
not a tensor) or does not feed the output. `from_analysis` applies it exactly. `from_graph` is
the same rule read from the graph alone, before any analysis: it marks only what is surely not a
tensor (``x.size()``, ``x.shape``, arithmetic on those, ``torch.chunk``'s tuple, ``_assert``) or
surely unused, so a design can be drawn at once and the analysis, when it arrives, only adds
what the graph could not tell (`Design` owns both steps).
"""

from __future__ import annotations

from designer.core.analysis import NetworkAnalysis
from designer.core.layers import Layer, Ref
from designer.core.network import Network

#: tensor methods returning Python numbers or tuples of them
_SCALAR_METHODS = frozenset({"size", "dim", "ndimension", "numel", "nelement", "stride",
                             "element_size", "item", "tolist", "get_device", "is_contiguous",
                             "is_floating_point"})
#: tensor attributes that are not tensors
_SCALAR_ATTRIBUTES = frozenset({"shape", "dtype", "device", "ndim", "is_cuda", "layout",
                                "requires_grad"})
#: calls returning a tuple of tensors (not a tensor themselves; their items are)
_TUPLE_METHODS = frozenset({"chunk", "split", "unbind", "tensor_split", "split_with_sizes"})
_TUPLE_FUNCTIONS = frozenset(f"torch:{name}" for name in _TUPLE_METHODS) | {
    "torch.functional:split"}
#: calls returning None
_NONE_FUNCTIONS = frozenset({"torch:_assert", "builtins:_assert"})
#: Python operators: their result is a number when every layer they read is one
_PYTHON_MODULES = ("_operator:", "operator:", "builtins:", "math:")

_SCALAR, _TUPLE = "scalar", "tuple"


def from_graph(network: Network) -> list[Layer]:
    """Layers to hide, judged from the graph alone (a subset of what the analysis hides)."""
    feeding = network.upstream(network.output().name)
    kinds: dict[str, str] = {}
    for layer in network:
        kind = _value_kind(layer, kinds)
        if kind:
            kinds[layer.name] = kind
    return [layer.with_changes(plumbing=True) for layer in network
            if _hideable(layer) and (layer.name in kinds or layer.name not in feeding)]


def hide_from_graph(network: Network) -> None:
    """Mark the helper layers `from_graph` finds as plumbing (what a new design shows)."""
    hidden = from_graph(network)
    if hidden:
        network.update(hidden)


def from_analysis(network: Network, analysis: NetworkAnalysis) -> list[Layer]:
    """Layers to hide given the analysis of `network` (not analysed: a layer that failed)."""
    feeding = network.upstream(network.output().name)
    return [layer.with_changes(plumbing=True) for layer in network
            if _hideable(layer) and layer.name in analysis.layers
            and (not analysis.layers[layer.name].is_tensor or layer.name not in feeding)]


def _hideable(layer: Layer) -> bool:
    return layer.op not in ("input", "output", "module") and not layer.plumbing


def _value_kind(layer: Layer, kinds: dict[str, str]) -> str:
    """_SCALAR or _TUPLE when the layer's value is surely not a tensor, else ""."""
    first = layer.args[0] if layer.args else None
    if layer.op == "method":
        if layer.target in _SCALAR_METHODS:
            return _SCALAR
        if layer.target in _TUPLE_METHODS:
            return _TUPLE
        return ""
    if layer.op != "function":
        return ""
    if layer.target in _NONE_FUNCTIONS:
        return _SCALAR
    if layer.target in _TUPLE_FUNCTIONS:
        return _TUPLE
    if layer.target == "builtins:getattr":
        attribute = layer.args[1] if len(layer.args) > 1 else None
        return _SCALAR if attribute in _SCALAR_ATTRIBUTES else ""
    if layer.target.endswith(":getitem"):
        # an item of a tuple of tensors is a tensor; an item of a size is a number
        return _SCALAR if isinstance(first, Ref) and kinds.get(first.name) == _SCALAR else ""
    if layer.target.startswith(_PYTHON_MODULES):
        read = layer.inputs
        return _SCALAR if read and all(kinds.get(name) == _SCALAR for name in read) else ""
    return ""
