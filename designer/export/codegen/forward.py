"""The network's ``forward`` written from the document: one readable line per layer.

Instead of cleaning up torch.fx's generated code (``getattr(self.layer1, "0").conv1(...)`` and
``x = None`` bookkeeping), each layer becomes ``name = expression`` with the layer's own name, in
execution order: modules as ``self.layer1[0].conv1(x)``, operators as infix (``a + b``,
``x[:, 0]``), functions by their import path (``torch.flatten``, ``F.relu``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from designer.core.layers import Layer, Ref
from designer.export.codegen.values import CodegenError, accessor, index_literal, literal, variable
from designer.export.codegen.wrap import wrap
from designer.surgery.encoding import EncodingError, resolve_function

_INFIX = {
    "add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%", "pow": "**",
    "matmul": "@", "and_": "&", "or_": "|", "xor": "^", "lshift": "<<", "rshift": ">>",
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
}
_UNARY = {"neg": "-", "pos": "+", "invert": "~"}
#: module -> how the script refers to it (the script imports these names itself)
_ALIASES = {"torch": "torch", "torch.nn.functional": "F", "math": "math", "_operator": "operator",
            "operator": "operator", "builtins": ""}


@dataclass
class ForwardCode:
    """The ``forward`` method's source and the imports it needs beyond the script's own."""

    source: str
    imports: set[str] = field(default_factory=set)


def forward_source(layers: Iterable[Layer], root: nn.Module, indent: str = "    ") -> ForwardCode:
    """``def forward(self, x):`` and its body for `layers` (in execution order) on `root`.

    Runs of three or more layers in the same top-level block get a ``# block`` comment.
    """
    writer = _Writer(root)
    layers = without_dead_values(list(layers))
    names = writer.names_for(layers)
    inputs = [ly for ly in layers if ly.op == "input"]
    params = ", ".join(["self", *(_parameter(ly, names) for ly in inputs)])
    output = next((ly for ly in layers if ly.op == "output"), None)
    returns = " -> torch.Tensor" if output and len(output.args) == 1 and isinstance(output.args[0], Ref) \
        else ""
    body: list[str] = []
    after_block = False
    for run in _runs([ly for ly in layers if ly.op != "input"]):
        block = len(run) >= 3 and bool(_top_group(run[0]))
        if body and (block or after_block):
            body.append("")
        if block:
            body.append(f"# {_top_group(run[0])}")
        body += [writer.statement(layer, names) for layer in run]
        after_block = block
    _inline_return(body, output, names, layers)
    wrapped = [part for line in body for part in (wrap(line, 2 * len(indent)) if line else [""])]
    lines = [f"def forward({params}){returns}:", *(f"{indent}{line}" if line else "" for line in wrapped)]
    return ForwardCode("\n".join(lines), writer.imports)


_IN_PLACE = frozenset({"iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "imatmul",
                       "iand", "ior", "ixor", "ilshift", "irshift", "iconcat", "setitem", "delitem"})


def without_dead_values(layers: list[Layer]) -> list[Layer]:
    """Drop function/method results nobody reads (``_, c, h, w = x.shape`` leftovers).

    Only side-effect-free calls go: modules (BatchNorm updates statistics), in-place methods
    (``add_``), in-place operators and asserts always stay.
    """
    kept = list(layers)
    while True:
        read = {name for layer in kept for name in layer.inputs}
        dead = {ly.name for ly in kept if ly.name not in read and _pure(ly)}
        if not dead:
            return kept
        kept = [ly for ly in kept if ly.name not in dead]


def _pure(layer: Layer) -> bool:
    if layer.op not in ("function", "method"):
        return False
    name = layer.target.rpartition(":")[2].rpartition(".")[2]
    return not name.endswith("_") and name not in _IN_PLACE and "assert" not in name


def _runs(layers: list[Layer]) -> list[list[Layer]]:
    """Consecutive layers of the same top-level block; the output joins the run before it."""
    runs: list[list[Layer]] = []
    for layer in layers:
        if runs and (layer.op == "output" or _top_group(runs[-1][-1]) == _top_group(layer)):
            runs[-1].append(layer)
        else:
            runs.append([layer])
    return runs


def _inline_return(body: list[str], output: Layer | None, names: dict[str, str],
                   layers: list[Layer]) -> None:
    """``fc = self.fc(x); return fc`` reads better as ``return self.fc(x)``."""
    if output is None or len(body) < 2 or len(output.args) != 1 or not isinstance(output.args[0], Ref):
        return
    last = names[output.args[0].name]
    readers = [ly for ly in layers if output.args[0].name in ly.inputs]
    if body[-2].startswith(f"{last} = ") and len(readers) == 1:
        body[-2:] = [f"return {body[-2][len(last) + 3:]}"]


def _parameter(layer: Layer, names: dict[str, str]) -> str:
    if layer.args:
        return f"{names[layer.name]}={literal(layer.args[0])}"
    return f"{names[layer.name]}: torch.Tensor"


def _top_group(layer: Layer) -> str:
    path = layer.target if layer.op in ("module", "constant") else layer.group
    return path.split(".")[0] if path else ""


class _Writer:
    """Turns layers into statements, remembering which modules the script must import."""

    def __init__(self, root: nn.Module) -> None:
        self.root = root
        self.imports: set[str] = set()

    def names_for(self, layers: list[Layer]) -> dict[str, str]:
        """Distinct Python variables for the layer names."""
        names: dict[str, str] = {}
        used: set[str] = set()
        for layer in layers:
            base = candidate = variable(layer.name)
            index = 1
            while candidate in used:
                candidate = f"{base}_{index}"
                index += 1
            names[layer.name] = candidate
            used.add(candidate)
        return names

    def statement(self, layer: Layer, names: dict[str, str]) -> str:
        if layer.op == "output":
            return f"return {literal(layer.args[0], names) if layer.args else 'None'}"
        return f"{names[layer.name]} = {self.expression(layer, names)}"

    def expression(self, layer: Layer, names: dict[str, str]) -> str:
        args = [literal(a, names) for a in layer.args]
        kwargs = [f"{k}={literal(v, names)}" for k, v in layer.kwargs.items()]
        if layer.op == "module":
            return f"{accessor('self', self.root, layer.target)}({', '.join(args + kwargs)})"
        if layer.op == "constant":
            return accessor("self", self.root, layer.target)
        if layer.op == "method":
            if not args:
                raise CodegenError(f"method call {layer.name} has no object to call it on")
            return f"{args[0]}.{layer.target}({', '.join(args[1:] + kwargs)})"
        return self._function(layer, args, kwargs, names)

    def _function(self, layer: Layer, args: list[str], kwargs: list[str], names: dict[str, str]) -> str:
        module, _, qualname = layer.target.partition(":")
        if module in ("_operator", "operator") and not kwargs:
            infix = _operator_expression(qualname, layer.args, args, names)
            if infix is not None:
                return infix
        if module == "builtins" and qualname == "getattr" and len(layer.args) == 2 and \
                isinstance(layer.args[1], str) and layer.args[1].isidentifier():
            return f"{args[0]}.{layer.args[1]}"
        return f"{self.function_name(layer.target)}({', '.join(args + kwargs)})"

    def function_name(self, target: str) -> str:
        """How the script names the function stored as ``module:qualname``."""
        module, _, qualname = target.partition(":")
        alias = _ALIASES.get(module)
        if alias is not None:
            if alias == "operator":
                self.imports.add("operator")
            return f"{alias}.{qualname}" if alias else qualname
        if module.startswith("torch.") and _reachable_from_torch(module, qualname, target):
            return f"{module}.{qualname}"
        self.imports.add(module)
        return f"{module}.{qualname}"


def _operator_expression(qualname: str, raw: tuple[Any, ...], args: list[str],
                         names: dict[str, str]) -> str | None:
    if qualname == "getitem" and len(raw) == 2:
        return f"{args[0]}[{index_literal(raw[1], names)}]"
    if qualname in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[qualname]} {args[1]}"
    if qualname in _UNARY and len(args) == 1:
        return f"{_UNARY[qualname]}{args[0]}"
    return None


def _reachable_from_torch(module: str, qualname: str, target: str) -> bool:
    """True when ``import torch`` alone makes ``module.qualname`` work (no extra import)."""
    obj: Any = torch
    try:
        for part in [*module.split(".")[1:], *qualname.split(".")]:
            obj = getattr(obj, part)
        return obj is resolve_function(target)
    except (AttributeError, EncodingError):
        return False
