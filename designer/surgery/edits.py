"""Graph surgery on (network, store) pairs: the operations behind every structural edit.

Each function mutates the document through `Network.set_layers` / `update` and the store by
assigning new modules (never changing existing module objects), so the snapshot commands in
`designer.surgery.design` can undo them exactly.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from designer.core.analysis import NetworkAnalysis
from designer.core.catalog import LayerKind, catalog_kind
from designer.core.errors import UserError
from designer.core.layers import Layer, Ref, replace_refs
from designer.core.network import Network, NetworkError
from designer.surgery.modules import count_params, create_module, module_params, transfer_weights
from designer.surgery.store import Store


class EditError(UserError, ValueError):
    """An edit that cannot be made, with the reason."""


def require_kind(name: str) -> LayerKind:
    """The catalog kind called `name`, or an EditError listing what is available."""
    kind = catalog_kind(name)
    if kind is None:
        from designer.core.catalog import CATALOG

        raise EditError(f"unknown layer kind {name!r}; choose one of "
                        + ", ".join(k.name for k in CATALOG))
    return kind


def infer_params(kind: LayerKind, shape: tuple[int, ...] | None, values: dict[str, Any]) -> dict[str, Any]:
    """Fill the parameters that depend on the incoming tensor (in_features, ...) from its shape,
    and the output size (out_features, out_channels) to match, so the next layer still fits."""
    filled = dict(values)
    if shape is None:
        return filled
    for spec in kind.params:
        if spec.infer and spec.name not in values and len(shape) >= 2:
            filled[spec.name] = shape[1] if spec.name in ("in_channels", "num_features") and \
                len(shape) > 2 else shape[-1]
    # the layer after it reads what the edge carried: give out as many as come in
    for size_in, size_out in (("in_features", "out_features"), ("in_channels", "out_channels")):
        if size_in in filled and kind.spec(size_out) is not None and size_out not in values:
            filled[size_out] = filled[size_in]
    return filled


def module_path_near(store: Store, network: Network, anchor: Layer, base: str) -> str:
    """A free module path for a new layer, inside the same block as `anchor`."""
    parent = anchor.target.rpartition(".")[0] if anchor.op == "module" else anchor.group
    prefix = f"{parent}." if parent else ""
    used = set(store) | {layer.target for layer in network}
    candidate, index = f"{prefix}{base}", 1
    while candidate in used:
        candidate = f"{prefix}{base}_{index}"
        index += 1
    return candidate


def new_module_layer(network: Network, path: str, module: nn.Module, source: str,
                     group: str) -> Layer:
    """A layer that calls `module` (stored at `path`) on `source`'s output."""
    kind = type(module).__name__
    return Layer(name=network.unique_name(path.replace(".", "_")), op="module", target=path,
                 kind=kind, category=require_kind(kind).category if catalog_kind(kind) else "other",
                 args=(Ref(source),), params=module_params(module), group=group,
                 num_params=count_params(module))


def insert_after(network: Network, anchor: str, new: Layer, only_into: str | None = None) -> None:
    """Put `new` right after `anchor` and make `anchor`'s consumers read `new` instead.

    Args:
        only_into: rewire just this consumer (inserting on one edge of a branching graph).
    """
    if anchor not in network:
        raise NetworkError(f"no layer named {anchor!r}")
    if network[anchor].op == "output":
        raise EditError("cannot insert after the network output")
    layers: list[Layer] = []
    for layer in network:
        if layer.name != anchor and anchor in layer.inputs and only_into in (None, layer.name):
            layer = _rewired(layer, anchor, new.name)
        layers.append(layer)
        if layer.name == anchor:
            layers.append(new)
    network.set_layers(_ordered(layers))


def _rewired(layer: Layer, old: str, new: str) -> Layer:
    return layer.with_changes(args=replace_refs(layer.args, old, new),
                              kwargs=replace_refs(layer.kwargs, old, new))


def _ordered(layers: list[Layer]) -> list[Layer]:
    """`layers` in an order where every layer comes after its inputs (stable otherwise)."""
    placed: dict[str, Layer] = {}
    pending = list(layers)
    while pending:
        progressed = False
        remaining: list[Layer] = []
        for layer in pending:
            if all(i in placed for i in layer.inputs):
                placed[layer.name] = layer
                progressed = True
            else:
                remaining.append(layer)
        if not progressed:
            raise EditError("the edit would create a cycle")
        pending = remaining
    return list(placed.values())


def delete_layer(network: Network, name: str) -> None:
    """Remove a layer and connect its consumers to its first input."""
    layer = network[name]
    if layer.op in ("input", "output"):
        raise EditError(f"the network {layer.op} cannot be deleted")
    sources = layer.inputs
    if not sources:
        raise EditError(f"{name} has no input to reconnect its consumers to")
    layers = [_rewired(other, name, sources[0]) for other in network if other.name != name]
    network.set_layers(layers)


def replace_module(network: Network, store: Store, name: str, module: nn.Module,
                   path: str | None = None) -> None:
    """Make layer `name` call `module` (stored at `path`, default its current target)."""
    layer = network[name]
    if layer.op != "module":
        raise EditError(f"{name} is a {layer.kind} operation, not a layer with a module")
    target = path or layer.target
    store[target] = module
    kind = type(module).__name__
    kind_entry = catalog_kind(kind)
    network.update([layer.with_changes(
        target=target, kind=kind, params=module_params(module), num_params=count_params(module),
        category=kind_entry.category if kind_entry else layer.category)])


def sharing_layers(network: Network, name: str) -> list[str]:
    """Layers that call the same module as `name` (editing its parameters changes them all)."""
    target = network[name].target
    return [ly.name for ly in network if ly.op == "module" and ly.target == target]


def rebuilt_with(layer: Layer, old: nn.Module, values: dict[str, Any]) -> tuple[nn.Module, bool]:
    """A new module of the layer's kind with changed hyper-parameters; weights kept if they fit."""
    kind = catalog_kind(layer.kind)
    if kind is None:
        raise EditError(f"{layer.kind} parameters cannot be edited here; replace the layer with "
                        "a library layer to change them")
    merged = {**layer.params, **values}
    new = create_module(kind, {k: v for k, v in merged.items() if kind.spec(k)}, layer.name)
    kept = transfer_weights(old, new)
    return new, kept


def final_parametric_layer(network: Network) -> Layer:
    """The classifier: the last layer with weights on the path to the output."""
    order = network.names
    feeding = network.upstream(network.output().name)
    for name in reversed(order):
        layer = network[name]
        if name in feeding and layer.op == "module" and layer.kind in ("Linear", "Conv2d"):
            return layer
    raise EditError("no final Linear or Conv2d layer found to replace")


def shape_of(analysis: NetworkAnalysis | None, name: str) -> tuple[int, ...] | None:
    """Analysed output shape of a layer, when known."""
    if analysis is None or name not in analysis.layers:
        return None
    return analysis.layers[name].shape
