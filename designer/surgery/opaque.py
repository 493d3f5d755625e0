"""Opaque layers: an operation an importer could not map to a library layer, kept as one node.

An imported graph (a ``torch.export`` archive, an ONNX model) may use operations that have no
layer kind in our catalog. Rather than refuse the whole model, each such operation becomes one
`OpaqueOp` node: it runs exactly as in the source, shows on the canvas with its operator name,
and the import report lists it. It can be deleted or bypassed, not edited.

Its one parameter, ``spec``, is JSON text (operator name, arguments, where the inputs go), so a
saved design keeps it as data. Only torch's own ``aten`` operators are named. Read back from a
project file (`from_file_spec`), an operator must also be one of torch's "core" operators with
no text arguments and no data-dependent output: nothing that reads files or leaves the tensor
world, whatever a hand-edited file says.
"""

from __future__ import annotations

import json
from typing import Any

import torch
from torch import nn

from designer.core.errors import UserError


class OpaqueOpError(UserError, ValueError):
    """An operator or spec that NetDesigner does not run."""


def aten_operator(name: str) -> Any:
    """The ``torch.ops.aten`` overload called `name` ('conv2d.default'), or OpaqueOpError."""
    if not isinstance(name, str) or name.count(".") != 1 or name.startswith("_"):
        raise OpaqueOpError(f"{name!r} is not an aten operator name like 'conv2d.default'")
    op_name, overload = name.split(".")
    packet = getattr(torch.ops.aten, op_name, None)
    operator = getattr(packet, overload, None) if packet is not None else None
    if not isinstance(operator, torch._ops.OpOverload):
        raise OpaqueOpError(f"aten.{name} is not an operator of this torch version")
    return operator


def _file_safe(operator: Any) -> bool:
    tags = set(operator.tags)
    text_args = any("str" in str(a.type) for a in operator._schema.arguments)
    return torch.Tag.core in tags and torch.Tag.data_dependent_output not in tags \
        and not text_args


def from_file_spec(spec: object, where: str) -> OpaqueOp:
    """An `OpaqueOp` read from a design file: only file-safe operators (see module doc)."""
    if not isinstance(spec, str) or not spec:
        raise OpaqueOpError(f"the opaque node {where} was saved without its operation (it used "
                            "values a file cannot hold); import the model file again")
    module = OpaqueOp(spec)
    if not _file_safe(module._op):
        raise OpaqueOpError(f"the opaque node {where} calls aten.{module.operator}, which "
                            "NetDesigner does not run from files")
    return module


class OpaqueOp(nn.Module):
    """Calls one aten operator with the tensor inputs it receives and fixed other arguments.

    The spec's ``template`` is the argument list with ``null`` where the tensors fed by other
    layers go; ``slots`` are those places, each a path of indices into the arguments
    (``[0]`` the first argument, ``[0, 1]`` the second item of a list in the first).
    """

    #: the design tracer keeps modules with this flag as single nodes (see tracer.py)
    designer_opaque = True

    def __init__(self, spec: str) -> None:
        super().__init__()
        try:
            data = json.loads(spec)
            operator, template = data["operator"], data["template"]
            slots = tuple(tuple(int(i) for i in slot) for slot in data["slots"])
            kwargs = dict(data.get("kwargs", {}))
        except (TypeError, ValueError, KeyError) as error:
            raise OpaqueOpError(f"not an opaque-node spec: {spec[:80]!r}") from error
        if not isinstance(template, list) or not all(isinstance(k, str) for k in kwargs):
            raise OpaqueOpError(f"not an opaque-node spec: {spec[:80]!r}")
        self._set(spec, operator, template, slots, kwargs)

    def _set(self, spec: str, operator: str, template: Any, slots: tuple[tuple[int, ...], ...],
             kwargs: dict[str, Any]) -> None:
        self.spec = spec
        self.operator = operator
        self._op = aten_operator(operator)
        self.template = template
        self.slots = slots
        self.op_kwargs = kwargs

    @classmethod
    def of(cls, operator: str, template: tuple[Any, ...], slots: tuple[tuple[int, ...], ...],
           kwargs: dict[str, Any]) -> OpaqueOp:
        """The node for an imported operation (its spec is empty when the arguments hold values
        JSON cannot: it then runs, but a saved design cannot rebuild it)."""
        try:
            spec = json.dumps({"operator": operator, "template": template,
                               "slots": [list(s) for s in slots], "kwargs": kwargs},
                              allow_nan=False)
        except (TypeError, ValueError):
            module = cls.__new__(cls)
            nn.Module.__init__(module)
            module._set("", operator, template, slots, kwargs)
            return module
        return cls(spec)

    def forward(self, *inputs: torch.Tensor) -> Any:
        args = _thawed(self.template)
        for slot, value in zip(self.slots, inputs, strict=True):
            holder = args
            for index in slot[:-1]:
                holder = holder[index]
            holder[slot[-1]] = value
        return self._op(*args, **self.op_kwargs)

    def extra_repr(self) -> str:
        return f"aten.{self.operator}"


def _thawed(value: Any) -> Any:
    """Nested tuples as lists, so the tensor slots can be filled in."""
    if isinstance(value, tuple | list):
        return [_thawed(item) for item in value]
    return value
