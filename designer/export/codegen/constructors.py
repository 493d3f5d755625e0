"""Plain constructor code for torch.nn layers, written as people write them: ``nn.Linear(512, 4)``,
``nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)`` (required arguments by position,
others by keyword and only where they differ from the default).

A constructor is only written when rebuilding it gives the same layer: the expression is
evaluated (on the meta device) and compared with the design's module by type, repr, plain
attributes and tensor shapes. Anything that does not round-trip raises `CodegenError`.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from designer.export.codegen.values import CodegenError, literal

_SKIPPED = frozenset({"self", "device", "dtype", "args", "kwargs"})
_SIMPLE = (int, float, bool, str, type(None))


def constructor(module: nn.Module) -> str:
    """``nn.Kind(name=value, ...)`` that rebuilds `module` with fresh weights; CodegenError if none."""
    cls = type(module)
    namespace = public_namespace(cls)
    if namespace is None:
        raise CodegenError(f"{cls.__module__}.{cls.__name__} is neither a torch.nn layer nor a "
                           "torchvision.ops layer")
    arguments: list[str] = []
    by_position = True  # until an argument is left out or is keyword-only
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name in _SKIPPED or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = _read(module, name)
        required = param.default is inspect.Parameter.empty
        by_position = by_position and required and param.kind is param.POSITIONAL_OR_KEYWORD
        if required or not _equal(value, param.default):
            arguments.append(literal(value) if by_position else f"{name}={literal(value)}")
    expression = f"{namespace}.{cls.__name__}({', '.join(arguments)})"
    check_rebuilds(expression, module)
    return expression


def settings_changed(old: nn.Module, new: nn.Module) -> list[tuple[str, Any, Any]]:
    """(argument, old value, new value) for each constructor argument two layers differ in."""
    out = []
    for name, param in inspect.signature(type(new).__init__).parameters.items():
        if name in _SKIPPED or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        try:
            before, after = _read(old, name), _read(new, name)
        except CodegenError:
            continue
        if not _equal(before, after):
            out.append((name, before, after))
    return out


def public_namespace(cls: type) -> str | None:
    """"nn" or "torchvision.ops" when `cls` is importable from there under its own name."""
    if getattr(nn, cls.__name__, None) is cls:
        return "nn"
    try:
        import torchvision.ops
    except ImportError:  # pragma: no cover - torchvision is a dependency
        return None
    return "torchvision.ops" if getattr(torchvision.ops, cls.__name__, None) is cls else None


def _read(module: nn.Module, name: str) -> Any:
    """The value a constructor argument was given, read back from the module's attributes."""
    if name == "bias":
        return getattr(module, "bias", None) is not None
    value = getattr(module, name, None)
    if name == "normalized_shape" and isinstance(value, tuple) and len(value) == 1:
        return int(value[0])
    if isinstance(value, tuple) and len(value) in (1, 2, 3) and len(set(value)) == 1:
        return value[0]  # Conv2d's (3, 3) is written 3, as people write it
    if isinstance(value, _SIMPLE) or (
            isinstance(value, tuple) and all(isinstance(v, _SIMPLE) for v in value)):
        return value
    raise CodegenError(f"the {type(module).__name__} argument {name} holds a {type(value).__name__}, "
                       "which the script cannot write as a constant")


def _equal(value: Any, default: Any) -> bool:
    try:
        return bool(value == default) and type(value) is type(default)
    except (TypeError, ValueError):
        return False


def rebuild(expression: str) -> nn.Module:
    """Evaluate a constructor expression on the meta device (configuration only, no memory)."""
    try:
        with torch.device("meta"):
            rebuilt = eval(expression, {"nn": nn, "torch": torch, "torchvision": _torchvision()})
    except Exception as error:  # any failure means the layer cannot be written this way
        raise CodegenError(f"{expression} does not run: {error}") from error
    if not isinstance(rebuilt, nn.Module):
        raise CodegenError(f"{expression} is not a layer")
    return rebuilt


def check_rebuilds(expression: str, module: nn.Module) -> None:
    """CodegenError unless evaluating `expression` gives a layer configured like `module`."""
    rebuilt = rebuild(expression)
    problem = difference(rebuilt, module)
    if problem:
        raise CodegenError(f"{expression} does not rebuild the layer: {problem}")


def _torchvision() -> object:
    import torchvision.ops

    return torchvision


def difference(a: nn.Module, b: nn.Module) -> str:
    """Why two modules are configured differently ("" when they are alike)."""
    if type(a) is not type(b):
        return f"{type(a).__name__} is not {type(b).__name__}"
    if repr(a) != repr(b):
        return f"{a!r} differs from {b!r}"
    shapes_a, shapes_b = tensor_signature(a), tensor_signature(b)
    if shapes_a != shapes_b:
        return f"the tensors differ ({sorted(set(shapes_a) ^ set(shapes_b))[:3] or 'shapes'})"
    attrs_a, attrs_b = _plain_attributes(a), _plain_attributes(b)
    if attrs_a != attrs_b:
        changed = sorted(k for k in attrs_a.keys() | attrs_b.keys() if attrs_a.get(k) != attrs_b.get(k))
        return f"attributes {', '.join(changed)} differ"
    return ""


def tensor_signature(module: nn.Module) -> dict[str, tuple[tuple[int, ...], torch.dtype, bool]]:
    """state_dict key -> (shape, dtype, is parameter)."""
    params = {name for name, _ in module.named_parameters()}
    return {key: (tuple(t.shape), t.dtype, key in params) for key, t in module.state_dict().items()}


def _plain_attributes(module: nn.Module) -> dict[str, Any]:
    out = {}
    for sub_name, sub in module.named_modules():
        for key, value in vars(sub).items():
            if not key.startswith("_") and key != "training" and isinstance(value, (*_SIMPLE, tuple)):
                out[f"{sub_name}.{key}"] = value
    return out
