"""A ``torch.export`` graph (aten operators) -> an editable module of library layers.

An exported program's graph calls aten operators on weights it reads with ``get_attr``. The
design document names layers by module kind and functions from an allow-list, so each aten call
is mapped back to what a person would have written: ``aten.conv2d`` with its weight and bias
becomes an ``nn.Conv2d`` under the weight's own module path (so the state_dict keys stay those of
the source and its checkpoints still load), ``aten.add`` becomes ``+``, and so on. An operator
with no such mapping becomes an `OpaqueOp` node, listed in the import report.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from designer.core.errors import UserError
from designer.surgery.allowed_ops import FUNCTIONS
from designer.surgery.encoding import qualified_name
from designer.surgery.opaque import OpaqueOp


class GraphImportError(UserError, ValueError):
    """The exported graph holds something that cannot become a design at all."""


@dataclass
class MappedGraph:
    """The rebuilt module and what happened to each operator."""

    module: fx.GraphModule
    #: aten operator -> library layer or function it became (counts per pair)
    mapped: Counter[str] = field(default_factory=Counter)
    #: "node name (aten.op)" kept as opaque nodes
    opaque: list[str] = field(default_factory=list)


_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "relu_": nn.ReLU, "hardswish": nn.Hardswish, "hardswish_": nn.Hardswish,
    "sigmoid": nn.Sigmoid, "silu": nn.SiLU, "silu_": nn.SiLU, "tanh": nn.Tanh,
    "hardsigmoid": nn.Hardsigmoid, "hardsigmoid_": nn.Hardsigmoid,
}
#: aten op -> (python callable on the allow-list, how many leading positional args it takes)
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add.Tensor": operator.add, "mul.Tensor": operator.mul, "sub.Tensor": operator.sub,
    "div.Tensor": operator.truediv,
    # in-place forms on intermediates (resnet's ``out += identity``); the parity check proves it
    "add_.Tensor": operator.add, "mul_.Tensor": operator.mul, "matmul.default": operator.matmul,
    "flatten.using_ints": torch.flatten, "cat.default": torch.cat,
    "permute.default": torch.permute, "transpose.int": torch.transpose,
}
_METHODS: dict[str, str] = {
    "view.default": "view", "reshape.default": "reshape", "mean.dim": "mean",
    "softmax.int": "softmax", "contiguous.default": "contiguous",
}


def _arg(node: fx.Node, index: int, name: str, default: Any) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _clean_path(path: str) -> str:
    """A module path the document accepts: parts of letters, digits and _ (onnx2torch names
    modules 'layer1/conv/Conv')."""
    parts = [re.sub(r"[^A-Za-z0-9_]", "_", part).strip("_") or "layer"
             for part in path.replace("/", ".").split(".")]
    return ".".join(parts)


def _pair(value: Any, default: int) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    values = list(value) if value else [default]
    return (int(values[0]), int(values[-1])) if len(values) in (1, 2) else (default, default)


class _Rebuilder:
    def __init__(self, source: fx.GraphModule) -> None:
        self.source = source
        self.graph = fx.Graph()
        self.attrs: dict[str, Any] = {}
        self.env: dict[fx.Node, fx.Node] = {}
        self.taken: set[str] = set()
        self.owned: dict[str, str] = {}  # weight target -> module path holding it
        self.result = MappedGraph(module=source)  # replaced at the end

    # ----- helpers -------------------------------------------------------------------
    def tensor(self, node: Any) -> torch.Tensor | None:
        """The tensor a get_attr node reads."""
        if not isinstance(node, fx.Node) or node.op != "get_attr":
            return None
        value: Any = self.source
        for part in str(node.target).split("."):
            value = getattr(value, part, None)
        return value if isinstance(value, torch.Tensor) else None

    def owner_path(self, weight: fx.Node, module: nn.Module) -> str | None:
        """The module path the weight belongs to ('layer1.0.conv1' for its '.weight'); a
        weight used again by the same kind of layer is the same module called again (None
        when it is used again differently: an opaque node then)."""
        target = str(weight.target)
        if target in self.owned:
            path = self.owned[target]
            return path if repr(self.attrs[path]) == repr(module) else None
        path = self.unique(target.rpartition(".")[0] or "layer")
        self.owned[target] = path
        return path

    def add_weighted(self, node: fx.Node, weight: Any, module: nn.Module, name: str) -> bool:
        path = self.owner_path(weight, module)
        if path is None:
            return False
        self.add_module(node, path, module, [node.args[0]], name)
        return True

    def leaf_path(self, node: fx.Node, module: nn.Module, opname: str) -> str:
        """The source module's path when it is this kind of module, else a new name beside it."""
        stack = node.meta.get("nn_module_stack") or {}
        entries = [(_clean_path(str(path).split("@")[0]) if path else "", str(kind))
                   for path, kind in stack.values()]
        if entries:
            path, kind = entries[-1]
            if path and kind.rsplit(".", 1)[-1] == type(module).__name__:
                existing = self.attrs.get(path)
                if existing is None and path not in self.taken:
                    return path
                if existing is not None and repr(existing) == repr(module):
                    return path  # the same module called again (resnet's shared relu)
        parent = next((p for p, _ in reversed(entries) if p and p not in self.attrs), "")
        return self.unique(f"{parent}.{opname}" if parent else opname)

    def unique(self, path: str) -> str:
        path = _clean_path(path)
        candidate, index = path, 0
        while candidate in self.taken or candidate in self.attrs:
            index += 1
            candidate = f"{path}_{index}"
        return candidate

    def add_module(self, node: fx.Node, path: str, module: nn.Module, inputs: list[Any],
                   label: str, *, opaque: bool = False) -> None:
        self.attrs[path] = module
        self.taken.add(path)
        self.env[node] = self.graph.call_module(path, tuple(self.mapped_arg(a) for a in inputs))
        if not opaque:
            self.result.mapped[f"{label} -> {type(module).__name__}"] += 1

    def mapped_arg(self, value: Any) -> Any:
        return fx.node.map_arg(value, lambda n: self.env[n])

    # ----- operators -------------------------------------------------------------------
    def weighted(self, node: fx.Node, name: str) -> bool:
        """conv / linear / norms: a module under the weight's path, holding the weights."""
        if name == "conv2d.default":
            weight, bias = self.tensor(node.args[1]), _arg(node, 2, "bias", None)
            bias_t = self.tensor(bias) if bias is not None else None
            if weight is None or weight.dim() != 4 or (bias is not None and bias_t is None):
                return False
            groups = int(_arg(node, 6, "groups", 1))
            conv = nn.Conv2d(weight.shape[1] * groups, weight.shape[0],
                             (weight.shape[2], weight.shape[3]),
                             stride=_pair(_arg(node, 3, "stride", 1), 1),
                             padding=_pair(_arg(node, 4, "padding", 0), 0),
                             dilation=_pair(_arg(node, 5, "dilation", 1), 1), groups=groups,
                             bias=bias is not None)
            self.fill(conv, weight=weight, bias=bias_t)
            return self.add_weighted(node, node.args[1], conv, name)
        if name == "linear.default":
            weight, bias = self.tensor(node.args[1]), _arg(node, 2, "bias", None)
            bias_t = self.tensor(bias) if bias is not None else None
            if weight is None or weight.dim() != 2 or (bias is not None and bias_t is None):
                return False
            linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
            self.fill(linear, weight=weight, bias=bias_t)
            return self.add_weighted(node, node.args[1], linear, name)
        if name == "batch_norm.default":
            return self.batch_norm(node, name)
        if name == "layer_norm.default":
            weight, bias = self.tensor(_arg(node, 2, "weight", None)), \
                self.tensor(_arg(node, 3, "bias", None))
            shape = tuple(int(d) for d in node.args[1])  # type: ignore[union-attr,arg-type]
            if weight is None or bias is None:
                return False
            norm = nn.LayerNorm(shape, eps=float(_arg(node, 4, "eps", 1e-5)))
            self.fill(norm, weight=weight, bias=bias)
            return self.add_weighted(node, node.args[2], norm, name)
        return False

    def batch_norm(self, node: fx.Node, name: str) -> bool:
        tensors = [self.tensor(a) for a in node.args[1:5]]
        rank = getattr(getattr(node.args[0], "meta", {}).get("val"), "ndim", None)
        kinds = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}
        if any(t is None for t in tensors) or bool(_arg(node, 5, "training", False)) \
                or rank not in kinds:
            return False
        weight, bias, mean, var = tensors
        assert weight is not None and mean is not None
        norm = kinds[rank](weight.shape[0], eps=float(_arg(node, 7, "eps", 1e-5)),
                           momentum=float(_arg(node, 6, "momentum", 0.1)))
        self.fill(norm, weight=weight, bias=bias, running_mean=mean, running_var=var)
        return self.add_weighted(node, node.args[1], norm, name)

    @staticmethod
    def fill(module: nn.Module, **tensors: torch.Tensor | None) -> None:
        with torch.no_grad():
            for key, value in tensors.items():
                if value is not None:
                    getattr(module, key).copy_(value)

    def stateless(self, node: fx.Node, name: str) -> bool:
        """Activations, pools, dropout: a parameter-free library layer."""
        op, _, _ = name.partition(".")
        module: nn.Module | None = None
        if op in _ACTIVATIONS and name.endswith(".default") and len(node.args) == 1:
            module = _ACTIVATIONS[op]()
        elif name in ("leaky_relu.default", "leaky_relu_.default"):
            module = nn.LeakyReLU(float(_arg(node, 1, "negative_slope", 0.01)))
        elif name == "gelu.default":
            module = nn.GELU(approximate=str(node.kwargs.get("approximate", "none")))
        elif name == "adaptive_avg_pool2d.default":
            module = nn.AdaptiveAvgPool2d(_pair(node.args[1], 1))
        elif name == "max_pool2d.default":
            kernel = _pair(node.args[1], 1)
            stride = _arg(node, 2, "stride", [])
            module = nn.MaxPool2d(kernel, stride=_pair(stride, 1) if stride else kernel,
                                  padding=_pair(_arg(node, 3, "padding", 0), 0),
                                  dilation=_pair(_arg(node, 4, "dilation", 1), 1),
                                  ceil_mode=bool(_arg(node, 5, "ceil_mode", False)))
        elif name == "avg_pool2d.default" and _arg(node, 6, "divisor_override", None) is None:
            kernel = _pair(node.args[1], 1)
            stride = _arg(node, 2, "stride", [])
            module = nn.AvgPool2d(kernel, stride=_pair(stride, 1) if stride else kernel,
                                  padding=_pair(_arg(node, 3, "padding", 0), 0),
                                  ceil_mode=bool(_arg(node, 4, "ceil_mode", False)),
                                  count_include_pad=bool(_arg(node, 5, "count_include_pad",
                                                              True)))
        elif name in ("dropout.default", "dropout_.default"):
            module = nn.Dropout(float(node.args[1]))  # type: ignore[arg-type]
        if module is None:
            return False
        self.ensure_inputs(node)
        self.add_module(node, self.leaf_path(node, module, op.rstrip("_")), module,
                        [node.args[0]], name)
        return True

    def function(self, node: fx.Node, name: str) -> bool:
        """Tensor arithmetic and reshapes: an allow-listed function or tensor method."""
        if name not in _FUNCTIONS and name not in _METHODS:
            return False
        self.ensure_inputs(node)
        if name in _FUNCTIONS and not node.kwargs:
            fn = _FUNCTIONS[name]
            self.env[node] = self.graph.call_function(fn, self.mapped_arg(node.args))
            self.result.mapped[f"{name} -> {qualified_name(fn)}"] += 1
            return True
        if name in _METHODS:
            kwargs = self.mapped_arg(dict(node.kwargs))
            self.env[node] = self.graph.call_method(_METHODS[name], self.mapped_arg(node.args),
                                                    kwargs)
            self.result.mapped[f"{name} -> .{_METHODS[name]}()"] += 1
            return True
        return False

    def opaque(self, node: fx.Node, name: str) -> None:
        slots: list[tuple[int, ...]] = []
        inputs: list[fx.Node] = []

        def template(value: Any, path: tuple[int, ...]) -> Any:
            if isinstance(value, fx.Node):
                slots.append(path)
                inputs.append(value)
                return None
            if isinstance(value, tuple | list):
                return tuple(template(v, (*path, i)) for i, v in enumerate(value))
            return value

        args = template(tuple(node.args), ())
        if any(isinstance(v, fx.Node) for v in node.kwargs.values()):
            raise GraphImportError(f"{node.name} (aten.{name}) takes a tensor by keyword, which "
                                   "NetDesigner cannot import yet")
        module = OpaqueOp.of(name, args, tuple(slots), dict(node.kwargs))
        path = self.leaf_path(node, module, name.partition(".")[0].strip("_") or "op")
        self.ensure_inputs(node)  # constants it reads stay get_attr nodes of the new module
        self.add_module(node, path, module, inputs, name, opaque=True)
        self.result.opaque.append(f"{path} (aten.{name})")

    def ensure_inputs(self, node: fx.Node) -> None:
        for arg in node.all_input_nodes:
            self.ensure(arg)

    def ensure(self, node: fx.Node) -> None:
        if node in self.env or node.op != "get_attr":
            return
        value: Any = self.source
        for part in str(node.target).split("."):
            value = getattr(value, part)
        target = self.unique(str(node.target))
        self.attrs[target] = value
        self.taken.add(target)
        self.env[node] = self.graph.get_attr(target)

    # ----- the walk ------------------------------------------------------------------
    def run(self) -> MappedGraph:
        for node in self.source.graph.nodes:
            if node.op == "placeholder":
                self.env[node] = self.graph.placeholder(str(node.target))
            elif node.op == "get_attr":
                continue  # created on first use by a node that is not mapped to a module
            elif node.op == "call_module":
                if str(node.target).startswith("_guards"):
                    continue  # torch.export's input-shape guard, not part of the network
                raise GraphImportError(f"the exported graph calls the module {node.target}, "
                                       "which NetDesigner cannot import")
            elif node.op == "call_function":
                self.call(node)
            elif node.op == "output":
                value = node.args[0]
                if isinstance(value, tuple | list) and len(value) == 1:
                    value = value[0]
                self.graph.output(self.mapped_arg(value))
        self.result.module = fx.GraphModule(self.attrs, self.graph, "ImportedModel")
        return self.result


    def call(self, node: fx.Node) -> None:
        if not node.users:
            return  # an assertion or other dead end: nothing reads it
        target = node.target
        if isinstance(target, torch._ops.OpOverload):
            if target.namespace != "aten":
                raise GraphImportError(f"{node.name} calls {target}, an operator outside torch's "
                                       "own (aten) set; NetDesigner cannot import it")
            name = f"{target.__name__.split('.')[0]}.{target._overloadname}"
            if not (self.weighted(node, name) or self.stateless(node, name)
                    or self.function(node, name)):
                self.opaque(node, name)
            return
        if qualified_name(target) in FUNCTIONS:
            self.ensure_inputs(node)
            self.env[node] = self.graph.call_function(target, self.mapped_arg(node.args),  # type: ignore[arg-type]
                                                      self.mapped_arg(dict(node.kwargs)))
            return
        raise GraphImportError(f"{node.name} calls {target}, which NetDesigner cannot import")


def rebuild(graph_module: fx.GraphModule) -> MappedGraph:
    """Map `graph_module` (``ExportedProgram.module()``) onto library layers (see module doc)."""
    return _Rebuilder(graph_module).run()
