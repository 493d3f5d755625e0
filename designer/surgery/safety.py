"""Which layers a design may hold before it is built: files are data, never code.

Building a design hands its strings to torch.fx, which turns them into Python source and runs
it: a function name is imported and called, a method name is called on a tensor, a layer name,
module path or keyword name is pasted into the generated ``forward``. So every string that
reaches fx is checked here first:

* layer names, keyword names, block names and module/constant paths must be plain identifiers
  (fx and the script generator write them into code unquoted: an input layer named
  ``x=__import__('os').system('…')`` ran a command);
* functions must be on the generated allow-list (`allowed_ops.FUNCTIONS`), methods on
  `allowed_ops.METHODS`, ``getattr`` may only read `allowed_ops.ATTRIBUTES`;
* tagged constants must name a real dtype, memory format or device.

`check_network(..., from_file=True)` is what every reader of a design file calls; `build_graph`
calls it with ``from_file=False``, which also accepts functions traced from a live module in
this process (the user's own code).
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from typing import Any

from designer.core.layers import OPS, Layer, Tagged
from designer.surgery.allowed_ops import ATTRIBUTES, METHODS
from designer.surgery.encoding import (
    EncodingError,
    NotAllowedError,
    check_tagged,
    is_allowed_function,
    resolve_function,
)

_GETATTR = "builtins:getattr"


class UnsafeLayerError(NotAllowedError):
    """A layer names something NetDesigner does not run; the message names the layer."""


def check_network(layers: Iterable[Layer], *, from_file: bool = True) -> None:
    """Raise UnsafeLayerError for the first layer that is not plain data."""
    for layer in layers:
        check_layer(layer, from_file=from_file)


def check_layer(layer: Layer, *, from_file: bool = True) -> None:
    """Raise UnsafeLayerError naming `layer` when one of its strings could run code."""
    if not isinstance(layer.name, str) or not _is_name(layer.name):
        raise UnsafeLayerError(f"a layer is called {layer.name!r}: layer names must be letters, "
                               "digits and underscores")
    where = f"layer '{layer.name}'"
    _check_shape(layer, where)
    if layer.op == "function":
        _check_function(layer, where, from_file)
    if layer.op == "method" and layer.target not in METHODS:
        raise UnsafeLayerError(f"{where} calls the method {layer.target!r}, which NetDesigner "
                               "does not run from files (only tensor methods that traced zoo "
                               "models use)")
    try:
        _check_values((layer.args, layer.kwargs))
    except NotAllowedError as error:
        raise UnsafeLayerError(f"{where}: {error}") from error


def _check_shape(layer: Layer, where: str) -> None:
    """The layer's operation, target, block and keyword names are what fx can write as code."""
    if layer.op not in OPS:
        raise UnsafeLayerError(f"{where} has the unknown operation {layer.op!r}")
    if not isinstance(layer.target, str):
        raise UnsafeLayerError(f"{where} has a target that is not text: {layer.target!r}")
    if not isinstance(layer.args, tuple | list) or not isinstance(layer.kwargs, dict) or \
            not isinstance(layer.params, dict):
        raise UnsafeLayerError(f"{where} has arguments or parameters of the wrong shape")
    if layer.op == "input" and not _is_identifier(layer.name):
        raise UnsafeLayerError(f"{where} is an input and must be named like a Python variable")
    if not isinstance(layer.group, str) or (layer.group and not _is_path(layer.group)):
        raise UnsafeLayerError(f"{where} is in the block {layer.group!r}, which is not a module "
                               "path (the generated script writes it as a comment)")
    if layer.op in ("module", "constant") and not _is_path(layer.target):
        raise UnsafeLayerError(f"{where} refers to {layer.target!r}, which is not a module path "
                               "(names of letters, digits, _ and - separated by dots)")
    for key in layer.kwargs:
        if not isinstance(key, str) or not _is_identifier(key):
            raise UnsafeLayerError(f"{where} has the keyword argument {key!r}, which is not a "
                                   "Python name")


def _check_function(layer: Layer, where: str, from_file: bool) -> None:
    allowed = is_allowed_function(layer.target)
    if not allowed and not from_file:
        try:
            resolve_function(layer.target)
            allowed = True
        except EncodingError:
            allowed = False
    if not allowed:
        raise UnsafeLayerError(f"{where} calls {layer.target}, which NetDesigner does not run "
                               "from files (only the tensor operations that traced torchvision "
                               "and timm models use)")
    if layer.target == _GETATTR:
        attribute = layer.args[1] if len(layer.args) in (2, 3) and not layer.kwargs else None
        if not isinstance(attribute, str) or attribute not in ATTRIBUTES:
            raise UnsafeLayerError(f"{where} reads the attribute {attribute!r}; files may only "
                                   f"read {', '.join(sorted(ATTRIBUTES))}")


def _check_values(value: Any) -> None:
    if isinstance(value, Tagged):
        check_tagged(value)
    elif isinstance(value, tuple | list):
        for item in value:
            _check_values(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_values(item)
    elif isinstance(value, slice):
        _check_values((value.start, value.stop, value.step))


def _is_name(name: str) -> bool:
    """Letters, digits and underscores (fx turns any such name into a valid variable)."""
    return bool(name) and f"_{name}".isidentifier()


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _is_path(target: str) -> bool:
    """A dotted module path fx can write as attribute access or a quoted ``getattr`` name.

    Parts are letters, digits, ``_`` and ``-`` (torchvision's regnets name blocks
    ``block1-0``); never a quote, bracket, space or newline, and never a dunder.
    """
    return all(_is_name(part.replace("-", "_")) and not part.startswith("__")
               for part in target.split("."))
