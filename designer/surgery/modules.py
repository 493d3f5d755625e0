"""Layer kinds <-> torch modules: read a module's hyper-parameters, build one from the catalog.

New modules draw their initial weights from a generator seeded by what is being created (kind,
hyper-parameters, where), never from torch's global RNG: the same edit gives the same weights in
every process, and creating a layer does not disturb anyone else's random stream.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from designer.core.catalog import LayerKind, catalog_kind

_SIMPLE = (int, float, bool, str)


def module_kind(module: nn.Module) -> str:
    """Kind shown for a module: its class name ('Conv2d', 'BatchNormAct2d', ...)."""
    return type(module).__name__


def module_params(module: nn.Module) -> dict[str, Any]:
    """Hyper-parameters of a module, for display and editing.

    Catalog kinds get exactly their catalog parameters; other modules get the constructor
    arguments that are stored under the same name as simple attributes (read-only in the UI).
    """
    kind = catalog_kind(module_kind(module))
    if kind is not None:
        return {spec.name: _read(module, spec.name) for spec in kind.params}
    params: dict[str, Any] = {}
    try:
        signature = inspect.signature(type(module).__init__)
    except (TypeError, ValueError):
        return params
    for name in signature.parameters:
        if name in ("self", "args", "kwargs"):
            continue
        value = _read(module, name)
        if isinstance(value, _SIMPLE) or (isinstance(value, tuple) and all(
                isinstance(v, _SIMPLE) for v in value)):
            params[name] = value
    return params


def _read(module: nn.Module, name: str) -> Any:
    if name == "bias":
        return getattr(module, "bias", None) is not None
    if name == "normalized_shape":
        shape = getattr(module, "normalized_shape", (0,))
        return int(shape[-1]) if len(shape) == 1 else tuple(shape)
    value = getattr(module, name, None)
    if isinstance(value, tuple) and len(value) in (1, 2) and len(set(value)) == 1:
        return value[0]  # show Conv2d's (3, 3) as 3, as users write it
    return value


def init_seed(*parts: Any) -> int:
    """A 63-bit seed from the description of what is created (stable across processes)."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


@contextlib.contextmanager
def seeded_init(*parts: Any) -> Iterator[None]:
    """Run module constructors with the CPU RNG seeded from ``parts``; the caller's RNG state
    is restored afterwards (modules are always created on the CPU here)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed(*parts))
        yield


def create_module(kind: LayerKind, values: dict[str, Any], where: str = "") -> nn.Module:
    """A freshly initialised module of a catalog kind with validated values.

    Its initial weights depend only on the kind, the values and ``where`` (the layer or path
    it is created for), see the module docstring.
    """
    checked = kind.validate(values)
    cls = getattr(nn, kind.name)
    with seeded_init("create_module", kind.name, checked, where):
        module: nn.Module = cls(**checked)
    return module


def transfer_weights(old: nn.Module, new: nn.Module) -> bool:
    """Copy every tensor of `old` into `new` whose name and shape match; True if all matched."""
    new_state = new.state_dict()
    old_state = old.state_dict()
    matched = {k: v for k, v in old_state.items() if k in new_state and v.shape == new_state[k].shape}
    new.load_state_dict(matched, strict=False)
    return len(matched) == len(new_state) and len(new_state) > 0


def count_params(module: nn.Module) -> int:
    """Parameters owned by a module (shared ones counted once)."""
    return sum(p.numel() for p in module.parameters())
