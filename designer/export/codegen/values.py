"""Python source for values and module paths: the literals and accessors the script is written with."""

from __future__ import annotations

import builtins
import keyword
import math
from typing import Any

from torch import nn

from designer.core.errors import UserError
from designer.core.layers import Ref, Tagged

#: Names the generated script uses (imports, builtins); a layer with such a name gets a trailing "_".
RESERVED = frozenset({
    "self", "torch", "nn", "F", "math", "operator", "torchvision", "timm", "base",
    *dir(builtins),
})


class CodegenError(UserError, ValueError):
    """The design cannot be written as a standalone script; the message says why and what to do."""


def variable(name: str) -> str:
    """A layer name as a Python variable (layer names are identifiers already, mostly)."""
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "value"
    if clean[0].isdigit():
        clean = f"v_{clean}"
    if keyword.iskeyword(clean) or clean in RESERVED:
        clean += "_"
    return clean


def literal(value: Any, names: dict[str, str] | None = None) -> str:
    """Source text for a document argument; `Ref`s become the variables in `names`."""
    if isinstance(value, Ref):
        if names is None:
            raise CodegenError(f"unexpected reference to {value.name} in a constant")
        return names[value.name]
    if isinstance(value, Tagged):
        return _tagged(value)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, tuple):
        items = [literal(v, names) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(literal(v, names) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v, names)}" for k, v in value.items()) + "}"
    if isinstance(value, slice):
        return f"slice({', '.join(literal(v, names) for v in (value.start, value.stop, value.step))})"
    raise CodegenError(f"cannot write the constant {value!r} ({type(value).__name__}) as Python")


def index_literal(value: Any, names: dict[str, str]) -> str:
    """Source for a subscript: slices as ``a:b``, tuples without parentheses (``x[:, 0]``)."""
    if isinstance(value, slice):
        parts = ["" if v is None else literal(v, names) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else "")
    if isinstance(value, tuple) and value:
        inner = ", ".join(index_literal(v, names) for v in value)
        return inner + ("," if len(value) == 1 else "")
    return literal(value, names)


def quoted(text: str) -> str:
    """A string literal in double quotes (the style of the rest of the script)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return repr(text)


def _float(value: float) -> str:
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    return repr(value)


def _tagged(value: Tagged) -> str:
    if value.tag == "ellipsis":
        return "..."
    if value.tag in ("dtype", "memory_format"):
        return f"torch.{value.value}"
    if value.tag == "device":
        return f"torch.device({quoted(str(value.value))})"
    raise CodegenError(f"cannot write the constant {value.tag} {value.value!r} as Python")


def accessor(root: str, root_module: nn.Module, path: str) -> str:
    """Source that reaches submodule (or tensor) `path` of `root_module` from the name `root`.

    ``layer1.0.conv1`` reads ``self.layer1[0].conv1``. An index is used only where it means the
    same child: a Sequential indexes by position, so after a removed child it would not.
    """
    text = root
    current_obj: object = root_module
    for part in path.split("."):
        step = _step(current_obj, part)
        text = f"getattr({text}, {quoted(part)})" if step is None else text + step
        child = current_obj._modules.get(part) if isinstance(current_obj, nn.Module) else None
        current_obj = child if child is not None else getattr(current_obj, part, None)
    return text


def _step(container: object, part: str) -> str | None:
    """``[0]``, ``["key"]`` or ``.name``; None when only getattr can reach the child."""
    if isinstance(container, nn.ModuleDict):
        return f"[{quoted(part)}]"
    if part.isdigit() and isinstance(container, nn.ModuleList) and part in container._modules:
        return f"[{part}]"
    if part.isdigit() and isinstance(container, nn.Sequential) and part in container._modules \
            and list(container._modules).index(part) == int(part):
        return f"[{part}]"
    if part.isidentifier() and not keyword.iskeyword(part):
        return f".{part}"
    return None


def assignment(root: str, root_module: nn.Module, path: str, source: str) -> str:
    """A statement that registers `source` as submodule `path` (replacing what is there)."""
    parent_path, _, child = path.rpartition(".")
    parent = root_module.get_submodule(parent_path) if parent_path else root_module
    parent_text = accessor(root, root_module, parent_path) if parent_path else root
    step = _step(parent, child)
    if step is None:
        return f"{parent_text}.add_module({quoted(child)}, {source})"
    return f"{parent_text}{step} = {source}"


def deletion(root: str, root_module: nn.Module, path: str) -> str:
    """A statement that removes submodule or tensor `path` without renumbering its siblings."""
    parent_path, _, child = path.rpartition(".")
    parent_text = accessor(root, root_module, parent_path) if parent_path else root
    if child.isidentifier() and not keyword.iskeyword(child):
        return f"del {parent_text}.{child}"
    return f"delattr({parent_text}, {quoted(child)})"  # `del seq[i]` would renumber the rest
