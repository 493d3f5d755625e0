"""The nodes of the document: one `Layer` per operation of the network, as plain data.

A layer mirrors one torch.fx node (module call, function call, method call, input, output or
constant) but holds no torch objects, so the document can be edited, saved, diffed and tested
without torch. Arguments keep the dataflow: a `Ref` points at another layer's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: The fx operation behind a layer (our names for placeholder/call_module/... ).
OPS = ("input", "module", "function", "method", "constant", "output")


@dataclass(frozen=True)
class Ref:
    """A reference to another layer's output inside a layer's arguments."""

    name: str


@dataclass(frozen=True)
class Tagged:
    """A constant that only the torch side can interpret (a dtype, a device, ...)."""

    tag: str
    value: Any


@dataclass(frozen=True)
class Layer:
    """One operation of the network: what it is, what it reads, and how it trains.

    Layers are immutable so that undo can keep whole-document snapshots for the price of a
    dict copy; an edit replaces a layer with `dataclasses.replace`.
    """

    name: str
    op: str
    target: str
    kind: str
    category: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    group: str = ""
    frozen: bool = False
    lr_factor: float = 1.0
    plumbing: bool = False
    num_params: int = 0

    def with_changes(self, **changes: Any) -> Layer:
        """A copy with some fields changed (the document never mutates a layer in place)."""
        return replace(self, **changes)

    @property
    def inputs(self) -> list[str]:
        """Names of the layers whose outputs this layer reads, in argument order."""
        found: list[str] = []
        _collect_refs(self.args, found)
        _collect_refs(tuple(self.kwargs.values()), found)
        return list(dict.fromkeys(found))

    @property
    def trainable_kind(self) -> bool:
        """Whether the layer owns parameters that training could change."""
        return self.num_params > 0

    @property
    def label(self) -> str:
        """Short text for the canvas: the last part of the name."""
        return self.name


def _collect_refs(value: Any, found: list[str]) -> None:
    if isinstance(value, Ref):
        found.append(value.name)
    elif isinstance(value, tuple | list):
        for item in value:
            _collect_refs(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_refs(item, found)
    elif isinstance(value, slice):
        _collect_refs((value.start, value.stop, value.step), found)


def replace_refs(value: Any, old: str, new: str) -> Any:
    """`value` with every `Ref(old)` replaced by `Ref(new)` (used to rewire after an edit)."""
    if isinstance(value, Ref):
        return Ref(new) if value.name == old else value
    if isinstance(value, tuple):
        return tuple(replace_refs(v, old, new) for v in value)
    if isinstance(value, list):
        return [replace_refs(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: replace_refs(v, old, new) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(*(replace_refs(v, old, new) for v in (value.start, value.stop, value.step)))
    return value
