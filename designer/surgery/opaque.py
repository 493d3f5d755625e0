"""Opaque layers: an operation an importer could not map to a library layer, kept as one node.

An imported graph (a ``torch.export`` archive, an ONNX model) may use operations that have no
layer kind in our catalog. Rather than refuse the whole model, each such operation becomes one
`OpaqueOp` node: it runs exactly as in the source, shows on the canvas with its operator name,
and the import report lists it. It can be deleted or bypassed, not edited.

Only ``aten`` operators are accepted: they are torch's own, so naming one runs no user code.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from designer.core.errors import UserError


class OpaqueOpError(UserError, ValueError):
    """An operator name that is not one of torch's own (aten) operators."""


def aten_operator(name: str) -> Any:
    """The ``torch.ops.aten`` overload called `name` ('conv2d.default'), or OpaqueOpError."""
    if not isinstance(name, str) or name.count(".") != 1:
        raise OpaqueOpError(f"{name!r} is not an aten operator name like 'conv2d.default'")
    op_name, overload = name.split(".")
    packet = getattr(torch.ops.aten, op_name, None)
    operator = getattr(packet, overload, None) if packet is not None else None
    if not isinstance(operator, torch._ops.OpOverload):
        raise OpaqueOpError(f"aten.{name} is not an operator of this torch version")
    return operator


class OpaqueOp(nn.Module):
    """Calls one aten operator with the tensor inputs it receives and fixed other arguments.

    `template` is the operator's argument list with ``None`` in the places of the tensors fed
    by other layers; `slots` are those places, each a path of indices into the arguments
    (``(0,)`` the first argument, ``(0, 1)`` the second item of a list in the first).
    """

    #: the design tracer keeps modules with this flag as single nodes (see tracer.py)
    designer_opaque = True

    def __init__(self, operator: str, template: tuple[Any, ...], slots: tuple[tuple[int, ...], ...],
                 kwargs: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.operator = operator
        self._op = aten_operator(operator)
        self.template = template
        self.slots = slots
        self.op_kwargs = dict(kwargs or {})

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
