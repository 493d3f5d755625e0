"""Converts fx node arguments and targets to the document's torch-free form and back.

The way back is the door files come in through, so it only opens onto an allow-list: a
function name resolves only when `allowed_ops.FUNCTIONS` lists it (or this process traced it
from a live module, which is the user's own code), and a dtype, memory format or device tag
only when it names a real one. Nothing a file says is imported or looked up beyond that.
"""

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
from designer.surgery.allowed_ops import FUNCTIONS


class EncodingError(UserError, ValueError):
    """An fx graph uses something the document cannot represent."""


class NotAllowedError(EncodingError):
    """A document names a function or constant that NetDesigner does not run from files."""


#: Functions met while tracing a live module in this process that are not on the allow-list
#: (a user's own helper in a notebook). They came from code the user already ran, so a design
#: traced from it can still be built; a design *file* can never name them (see safety.py).
_TRACED: dict[str, Any] = {}

_DTYPES = frozenset(n for n in dir(torch) if isinstance(getattr(torch, n, None), torch.dtype))
_MEMORY_FORMATS = frozenset(("contiguous_format", "channels_last", "channels_last_3d",
                             "preserve_format"))

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
    name = value.value if isinstance(value.value, str) else None
    if (value.tag == "dtype" and name in _DTYPES) or \
            (value.tag == "memory_format" and name in _MEMORY_FORMATS):
        return getattr(torch, str(name))
    if value.tag == "device" and name is not None:
        try:
            return torch.device(name)
        except (RuntimeError, ValueError) as error:
            raise NotAllowedError(f"{name!r} is not a device") from error
    if value.tag in ("dtype", "memory_format", "device"):
        raise NotAllowedError(f"{value.value!r} is not a torch {value.tag.replace('_', ' ')}")
    raise NotAllowedError(f"unknown constant tag {value.tag!r}")


def check_tagged(value: Tagged) -> None:
    """Raise NotAllowedError unless `value` decodes to a real dtype/memory format/device."""
    _decode_tagged(value)


def qualified_name(fn: Any) -> str | None:
    """The 'module:qualname' under which `fn` can be imported back, or None.

    Pure naming (no allow-list): the tracer and `scripts/gen_allowed_ops.py` use the same rule,
    so the allow-list holds exactly the strings that traced models put into our files.
    """
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if module and qualname:
        candidate = f"{module}:{qualname}"
        if _import_name(candidate) is fn:
            return candidate
    for namespace in _NAMESPACES:
        name = getattr(fn, "__name__", "")
        if name and getattr(namespace, name, None) is fn:
            return f"{namespace.__name__}:{name}"
    return None


def _import_name(name: str) -> Any:
    """The object `module:qualname` names, or None (only for names we generated or allow)."""
    module_name, _, qualname = name.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError):
        return None
    return obj


def function_name(fn: Any) -> str:
    """A 'module:qualname' string that `resolve_function` turns back into `fn`."""
    name = qualified_name(fn)
    if name is None:
        raise EncodingError(f"cannot name function {fn!r}: the document can only store "
                            "functions importable by their module and name")
    if name not in FUNCTIONS:
        _TRACED[name] = fn
    return name


def is_allowed_function(name: str) -> bool:
    """True when a file may name `name` (it is on the generated allow-list)."""
    return name in FUNCTIONS


def resolve_function(name: str) -> Any:
    """Inverse of `function_name`: allow-listed names and functions traced in this process."""
    if name in _TRACED:
        return _TRACED[name]
    if name not in FUNCTIONS:
        raise NotAllowedError(f"{name} is not one of the tensor operations NetDesigner runs "
                              "from files")
    obj = _import_name(name)
    if obj is None:
        raise EncodingError(f"function {name} is not available in this installation")
    return obj


def function_kind(fn: Any) -> str:
    """Display kind of a function call node: 'add', 'flatten', 'getitem', ..."""
    return str(getattr(fn, "__name__", repr(fn))).strip("_") or "function"
