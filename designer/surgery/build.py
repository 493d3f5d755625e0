"""Document -> nn.Module: an fx.GraphModule that runs the layers with the stored weights.

The built module has the same submodule paths as the traced original, so its state_dict keys
are the original's and pretrained checkpoints load into it.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable

import torch
from torch import fx, nn

from designer.core.errors import UserError
from designer.core.layers import Layer
from designer.core.network import Network
from designer.surgery.encoding import decode_arg, resolve_function
from designer.surgery.safety import check_layer
from designer.surgery.store import Store


class BuildError(UserError, RuntimeError):
    """The document cannot be turned into a runnable module."""


def build_graph(layers: Iterable[Layer]) -> fx.Graph:
    """An fx graph with one node per layer, named as the layers are.

    Every layer is checked first (`safety.check_layer`): fx pastes names into Python source.
    """
    graph = fx.Graph()
    env: dict[str, fx.Node] = {}
    for layer in layers:
        check_layer(layer, from_file=False)
        args = tuple(decode_arg(a, env) for a in layer.args)
        kwargs = {k: decode_arg(v, env) for k, v in layer.kwargs.items()}
        if layer.op == "input":
            node = graph.placeholder(layer.name, default_value=args[0] if args else
                                     inspect.Signature.empty)
        elif layer.op == "output":
            node = graph.output(args[0] if args else None)
        elif layer.op == "module":
            node = graph.create_node("call_module", layer.target, args, kwargs, name=layer.name)
        elif layer.op == "constant":
            node = graph.create_node("get_attr", layer.target, (), {}, name=layer.name)
        elif layer.op == "function":
            fn = resolve_function(layer.target)
            node = graph.create_node("call_function", fn, args, kwargs, name=layer.name)
        else:
            node = graph.create_node("call_method", layer.target, args, kwargs, name=layer.name)
        env[layer.name] = node
    return graph


def build_module(network: Network, store: Store, *, copy_weights: bool = True,
                 apply_freezing: bool = True) -> fx.GraphModule:
    """Compile the document into a GraphModule.

    Args:
        copy_weights: deep-copy the stored modules so training the result never changes the
            design (False is for analysis, which only reads).
        apply_freezing: set requires_grad from the layers' frozen flags.
    """
    layers = list(network)
    graph, root = _graph_and_root(layers, store)
    if copy_weights:
        root = copy.deepcopy(root)
    module = fx.GraphModule(root, graph, class_name="DesignedNetwork")
    _keep_non_persistent(module, layers)
    if apply_freezing:
        _apply_freezing(module, layers)
    return module


def build_for_interpreter(network: Network, store: Store) -> tuple[nn.Module, fx.Graph]:
    """The stored modules and tensors under their paths (not copied) and the graph, to run
    node by node with an `fx.Interpreter` (the analysis). Unlike `build_module`, no `forward()`
    source is generated and compiled: for maxvit_t's 210 kB of it `compile()` held the GIL for
    ~40 ms, a stall of the GUI thread while the analysis runs in the background."""
    graph, root = _graph_and_root(list(network), store)
    tree = nn.Module()
    for target in sorted(root, key=lambda t: t.count(".")):  # owners before what they hold
        *path, name = target.split(".")
        owner = tree
        for part in path:
            if getattr(owner, part, None) is None:
                owner.add_module(part, nn.Module())
            owner = getattr(owner, part)
        value = root[target]
        if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
            owner.register_buffer(name, value)
        else:
            setattr(owner, name, value)
    return tree, graph


def _graph_and_root(layers: list[Layer], store: Store
                    ) -> tuple[fx.Graph, dict[str, nn.Module | torch.Tensor]]:
    try:
        graph = build_graph(layers)
    except (KeyError, IndexError) as error:
        raise BuildError(f"the graph is inconsistent: {error}") from error
    used = {layer.target for layer in layers if layer.op in ("module", "constant")}
    missing = sorted(used - set(store))
    if missing:
        raise BuildError(f"no weights for {', '.join(missing[:5])}")
    return graph, {t: store[t] for t in used}


def _keep_non_persistent(module: fx.GraphModule, layers: list[Layer]) -> None:
    """Buffers the source model kept out of its state_dict stay out of the built one's."""
    for layer in layers:
        if layer.op == "constant" and layer.params.get("persistent") is False:
            owner_path, _, attr = layer.target.rpartition(".")
            owner = module.get_submodule(owner_path) if owner_path else module
            if attr in owner._buffers:
                owner._non_persistent_buffers_set.add(attr)


def _apply_freezing(module: fx.GraphModule, layers: list[Layer]) -> None:
    """requires_grad = not frozen; a module shared by several layers trains if any site does."""
    trainable: dict[str, bool] = {}
    for layer in layers:
        if layer.op in ("module", "constant"):
            trainable[layer.target] = trainable.get(layer.target, False) or not layer.frozen
    for target, flag in trainable.items():
        item = module.get_submodule(target) if _is_module(module, target) else None
        if item is not None:
            for parameter in item.parameters():
                parameter.requires_grad_(flag)
        else:
            value = _attr(module, target)
            if isinstance(value, nn.Parameter):
                value.requires_grad_(flag)


def _is_module(root: nn.Module, target: str) -> bool:
    try:
        root.get_submodule(target)
    except AttributeError:
        return False
    return True


def _attr(root: nn.Module, target: str) -> object:
    value: object = root
    for part in target.split("."):
        value = getattr(value, part)
    return value
