"""nn.Module -> document: trace with torch.fx and turn every fx node into a `Layer`."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import fx, nn

from designer.core.categories import category_of
from designer.core.errors import UserError
from designer.core.layers import Layer, Ref
from designer.core.network import Network
from designer.surgery.encoding import encode_arg, function_kind, function_name
from designer.surgery.fx_release import release_graph
from designer.surgery.modules import count_params, module_kind, module_params
from designer.surgery.store import Store
from designer.surgery.tracer import trace_graph


class TraceError(UserError, RuntimeError):
    """The module cannot be turned into an editable graph."""


def network_from_module(module: nn.Module, *, copy_module: bool = True) -> tuple[Network, Store]:
    """Document and store for `module`; the module is deep-copied so the two never share state.

    `copy_module=False` takes the module itself (its submodules become the store's): for a
    module the caller has just built and keeps no reference to, the copy would only cost time
    (a quarter of opening maxvit_t) and twice the memory while it is made."""
    owned = copy.deepcopy(module) if copy_module else module
    try:
        graph = trace_graph(owned)
    except Exception as error:  # fx raises many kinds of errors on untraceable code
        raise TraceError(f"{type(module).__name__} cannot be traced by torch.fx: {error}. "
                         "Models with data-dependent Python control flow cannot be edited "
                         "as a graph.") from error
    store: Store = {}
    buffers = _named_tensors_by_storage(owned)
    layers: list[Layer] = []
    try:
        for node in graph.nodes:
            if node.op == "get_attr" and node.target.startswith("_tensor_constant"):
                layers.extend(_constant_layers(node, owned, store, buffers))
            else:
                layers.append(_layer_from_node(node, owned, store))
    finally:
        release_graph(graph)  # the layers are plain data: nothing is left for the collector
    return Network(layers), store


def _named_tensors_by_storage(root: nn.Module) -> dict[object, tuple[str, torch.Tensor]]:
    named = list(root.named_buffers()) + list(root.named_parameters())
    return {_storage_key(t): (name, t) for name, t in named if t.numel() > 0}


def _storage_key(tensor: torch.Tensor) -> object:
    """Where a tensor's data starts: its address, or on the meta device (where every address
    is 0: a model built there to draw its graph at once) its storage and offset."""
    if tensor.is_meta:
        return tensor.untyped_storage()._cdata, tensor.storage_offset()
    return tensor.data_ptr()


def _constant_layers(node: fx.Node, root: nn.Module, store: Store,
                     buffers: dict[object, tuple[str, torch.Tensor]]) -> list[Layer]:
    """Layers for a constant fx captured while tracing.

    fx stores `self.some_buffer.view(-1)` as an anonymous `_tensor_constantN`; when it is a
    reshaped view of a real buffer, read the buffer and reshape it instead, so the buffer keeps
    its name in the state_dict and a loaded checkpoint reaches it.
    """
    value = _get_attr(root, str(node.target))
    source = buffers.get(_storage_key(value)) if isinstance(value, torch.Tensor) else None
    if source is None or not isinstance(value, torch.Tensor) or \
            not _is_plain_reshape(value, source[1]):
        return [_layer_from_node(node, root, store)]
    path, tensor = source
    store[path] = tensor
    source_name = f"{node.name}_source"
    group = _group_of(node)
    return [
        Layer(name=source_name, op="constant", target=path, kind="buffer", category="other",
              params=_constant_params(root, path, tuple(tensor.shape)), group=group),
        Layer(name=node.name, op="method", target="reshape", kind="reshape", category="reshape",
              args=(Ref(source_name), tuple(int(d) for d in value.shape)), group=group,
              plumbing=True),
    ]


def _is_plain_reshape(view: torch.Tensor, base: torch.Tensor) -> bool:
    return bool(view.numel() == base.numel() and view.is_contiguous() and base.is_contiguous()
            and view.storage_offset() == base.storage_offset() and view.dtype == base.dtype)


def _layer_from_node(node: fx.Node, root: nn.Module, store: Store) -> Layer:
    args = tuple(encode_arg(a) for a in node.args)
    kwargs = {k: encode_arg(v) for k, v in node.kwargs.items()}
    group = _group_of(node)
    common: dict[str, Any] = {"name": node.name, "args": args, "kwargs": kwargs, "group": group}
    if node.op == "placeholder":
        return Layer(op="input", target=str(node.target), kind="input", category="input", **common)
    if node.op == "output":
        return Layer(op="output", target="output", kind="output", category="output", **common)
    if node.op == "call_module":
        target = str(node.target)
        module = root.get_submodule(target)
        store[target] = module
        kind = module_kind(module)
        return Layer(op="module", target=target, kind=kind, category=category_of(kind),
                     params=module_params(module), num_params=count_params(module), **common)
    if node.op == "get_attr":
        target = str(node.target)
        value = _get_attr(root, target)
        store[target] = value
        shape = tuple(int(d) for d in value.shape) if isinstance(value, torch.Tensor) else ()
        is_param = isinstance(value, nn.Parameter)
        return Layer(op="constant", target=target, kind="Parameter" if is_param else "constant",
                     category="other", params=_constant_params(root, target, shape),
                     num_params=int(value.numel()) if isinstance(value, torch.Tensor) and is_param
                     else 0, **common)
    if node.op == "call_function":
        kind = function_kind(node.target)
        return Layer(op="function", target=function_name(node.target), kind=kind,
                     category=category_of(kind), **common)
    kind = str(node.target)
    return Layer(op="method", target=kind, kind=kind, category=category_of(kind), **common)


def _constant_params(root: nn.Module, target: str, shape: tuple[int, ...]) -> dict[str, Any]:
    """A constant's shape, and ``persistent: False`` for a buffer its module keeps out of the
    state_dict (timm's relative-position indices), so the built model's state_dict matches."""
    if target.startswith("_tensor_constant"):  # made by fx from a tensor built in forward
        return {"shape": shape, "persistent": False}
    owner_path, _, attr = target.rpartition(".")
    try:
        owner = root.get_submodule(owner_path) if owner_path else root
    except AttributeError:
        return {"shape": shape}
    if attr in getattr(owner, "_non_persistent_buffers_set", ()):
        return {"shape": shape, "persistent": False}
    return {"shape": shape}


def _get_attr(root: nn.Module, target: str) -> nn.Module | torch.Tensor:
    value: Any = root
    for part in target.split("."):
        value = getattr(value, part)
    if not isinstance(value, nn.Module | torch.Tensor):
        raise TraceError(f"attribute {target} is a {type(value).__name__}, not a tensor")
    return value


def _group_of(node: fx.Node) -> str:
    """The module path of the block that runs this node ('' at the top level)."""
    stack = node.meta.get("nn_module_stack") or {}
    paths = [str(entry[0]) for entry in stack.values()]
    if node.op == "call_module" and paths:
        paths = paths[:-1]  # the last entry is the leaf module itself
    return paths[-1] if paths else ""
