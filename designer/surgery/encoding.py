"""Converts fx node arguments and targets to the document's torch-free form and back."""

from __future__ import annotations

import builtins
import importlib
import math
import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from designer.core.errors import UserError
from designer.core.layers import Ref, Tagged


class EncodingError(UserError, ValueError):
    """An fx graph uses something the document cannot represent."""


_NAMESPACES: tuple[Any, ...] = (operator, builtins, torch, F, math, torch.Tensor)


def encode_arg(value: Any) -> Any:
    """fx argument -> document argument (nodes become `Ref`s, torch constants `Tagged`)."""
    if isinstance(value, fx.Node):
        return Ref(value.name)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, tuple):
        return tuple(encode_arg(v) for v in value)
    if isinstance(value, list):
        return [encode_arg(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_arg(v) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(encode_arg(value.start), encode_arg(value.stop), encode_arg(value.step))
    if value is Ellipsis:
        return Tagged("ellipsis", None)
    if isinstance(value, torch.dtype):
        return Tagged("dtype", str(value).removeprefix("torch."))
    if isinstance(value, torch.device):
        return Tagged("device", str(value))
    if isinstance(value, torch.memory_format):
        return Tagged("memory_format", str(value).removeprefix("torch."))
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise EncodingError(f"cannot represent argument {value!r} of type {type(value).__name__}")


def decode_arg(value: Any, env: dict[str, fx.Node]) -> Any:
    """Document argument -> fx argument, looking up `Ref`s in `env`."""
    if isinstance(value, Ref):
        return env[value.name]
    if isinstance(value, tuple):
        return tuple(decode_arg(v, env) for v in value)
    if isinstance(value, list):
        return [decode_arg(v, env) for v in value]
    if isinstance(value, dict):
        return {k: decode_arg(v, env) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(*(decode_arg(v, env) for v in (value.start, value.stop, value.step)))
    if isinstance(value, Tagged):
        return _decode_tagged(value)
    return value


def _decode_tagged(value: Tagged) -> Any:
    if value.tag == "ellipsis":
        return Ellipsis
    if value.tag in ("dtype", "memory_format"):
        return getattr(torch, str(value.value))
    if value.tag == "device":
        return torch.device(str(value.value))
    raise EncodingError(f"unknown constant tag {value.tag!r}")


def function_name(fn: Any) -> str:
    """A 'module:qualname' string that `resolve_function` turns back into `fn`."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if module and qualname:
        candidate = f"{module}:{qualname}"
        try:
            if resolve_function(candidate) is fn:
                return candidate
        except EncodingError:
            pass
    for namespace in _NAMESPACES:
        name = getattr(fn, "__name__", "")
        if name and getattr(namespace, name, None) is fn:
            return f"{namespace.__name__}:{name}"
    raise EncodingError(f"cannot name function {fn!r}: the document can only store functions "
                        "importable by their module and name")


def resolve_function(name: str) -> Any:
    """Inverse of `function_name`."""
    module_name, _, qualname = name.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise EncodingError(f"function {name} is not available: {error}") from error
    return obj


def function_kind(fn: Any) -> str:
    """Display kind of a function call node: 'add', 'flatten', 'getitem', ..."""
    return str(getattr(fn, "__name__", repr(fn))).strip("_") or "function"
