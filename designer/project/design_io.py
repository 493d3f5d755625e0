"""Save a design as JSON + safetensors and load it back (no pickle anywhere).

The JSON holds the document and what the design was made from; the tensors hold every weight.
Loading rebuilds the modules from the zoo architecture the design started from (so modules
that are not in the layer library, such as timm's BatchNormAct2d, come back as they were),
replaces or adds library modules from their saved parameters, then loads the weights.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from designer.core.catalog import catalog_kind
from designer.core.errors import UserError
from designer.core.network import Network
from designer.core.serialization import network_from_dict, network_to_dict
from designer.surgery.design import Design, DesignInfo
from designer.surgery.modules import create_module, module_params
from designer.surgery.opaque import OpaqueOpError, from_file_spec
from designer.surgery.safety import UnsafeLayerError, check_network
from designer.surgery.snapshot import FrozenDesign
from designer.surgery.store import Store, store_state_dict
from designer.surgery.trace import network_from_module
from designer.training.run_dir import save_weights, write_json
from designer.zoo.preprocessing import Preprocessing
from designer.zoo.registry import create_model, get_entry

DESIGN_JSON = "design.json"
WEIGHTS = "weights.safetensors"


class DesignLoadError(UserError, ValueError):
    """A saved design that cannot be rebuilt, with the reason."""


def info_to_dict(info: DesignInfo) -> dict[str, Any]:
    """JSON form of a DesignInfo."""
    return {"model_name": info.model_name, "source": info.source, "weights": info.weights,
            "class_names": list(info.class_names), "input_size": info.input_size,
            "preprocessing": info.preprocessing.to_dict(), "head": list(info.head),
            "stages": [list(stage) for stage in info.stages],
            "architecture": info.architecture}


def info_from_dict(data: dict[str, Any]) -> DesignInfo:
    """Inverse of `info_to_dict`."""
    return DesignInfo(model_name=str(data.get("model_name", "custom")),
                      source=str(data.get("source", "module")),
                      weights=str(data.get("weights", "none")),
                      class_names=tuple(str(c) for c in data.get("class_names", ())),
                      preprocessing=Preprocessing.from_dict(data.get("preprocessing") or {}),
                      input_size=int(data.get("input_size", 224)),
                      head=tuple(str(h) for h in data.get("head") or ()),
                      stages=tuple((str(label), str(path))
                                   for label, path in data.get("stages") or ()),
                      architecture=str(data.get("architecture") or ""))


@dataclass(frozen=True)
class DesignSnapshot:
    """What saving needs: the design's JSON and its tensors (by reference)."""

    network: dict[str, Any]
    info: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    @classmethod
    def of(cls, design: Design | FrozenDesign) -> DesignSnapshot:
        """Snapshot (tensors by reference: edits swap modules, they never change tensors).

        From a live `Design` this must run on the GUI thread (4-10 ms for Lite0); from a
        `FrozenDesign` (`Design.snapshot()`, microseconds on the GUI thread) it may run on any
        thread while the user keeps editing, which is how autosave takes it."""
        if isinstance(design, FrozenDesign):
            return cls(network_to_dict(design.document()), info_to_dict(design.info),
                       store_state_dict(dict(design.store)))
        return cls(network_to_dict(design.network), info_to_dict(design.info),
                   design.state_dict())

    def write(self, folder: Path, *, compact: bool = False) -> Path:
        """Write design.json and weights.safetensors into `folder` (atomically, file by file);
        `compact`: the JSON on one line (an autosave, written beside the GUI thread)."""
        folder.mkdir(parents=True, exist_ok=True)
        save_weights(folder / WEIGHTS, self.tensors, {"format": "netdesigner.design"})
        write_json(folder / DESIGN_JSON, {"format": "netdesigner.design", "version": 1,
                                          "network": self.network, "info": self.info},
                   indent=None if compact else 2)
        return folder / DESIGN_JSON


def save_design(design: Design, folder: Path) -> Path:
    """Write design.json and weights.safetensors into `folder` (atomically, file by file)."""
    return DesignSnapshot.of(design).write(folder)


def load_design(path: Path, weights: dict[str, torch.Tensor] | None = None) -> Design:
    """A design from a folder (or its design.json); `weights` overrides the saved tensors."""
    json_path = path / DESIGN_JSON if path.is_dir() else path
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
        network = network_from_dict(data["network"])
        check_network(network, from_file=True)
        info = info_from_dict(data.get("info") or {})
    except UnsafeLayerError as error:
        raise DesignLoadError(f"{json_path} was refused: {error}.") from error
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise DesignLoadError(f"{json_path} is not a readable NetDesigner design: {error}") from error
    tensors = weights if weights is not None else _read_weights(json_path.parent / WEIGHTS)
    store = _rebuild_store(network, info, tensors)
    return Design(network, store, info)


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except (OSError, ValueError) as error:
        raise DesignLoadError(f"cannot read the design's weights {path}: {error}") from error
    except Exception as error:  # safetensors raises its own error type for corrupt files
        raise DesignLoadError(f"{path} is not a valid safetensors file: {error}") from error


def _base_store(info: DesignInfo) -> Store:
    """The modules of the architecture the design started from (random weights)."""
    name = info.architecture or info.model_name
    try:
        get_entry(name)
    except LookupError:
        return {}
    _network, store = network_from_module(create_model(name, "none"))
    return store


def _rebuild_store(network: Network, info: DesignInfo, tensors: dict[str, torch.Tensor]) -> Store:
    base = _base_store(info)
    store: Store = {}
    resized: set[str] = set()
    for layer in network:
        if layer.op == "module" and layer.target not in store:
            store[layer.target] = _module_for(layer.target, layer.kind, layer.params, base)
            if store[layer.target] is not base.get(layer.target) and \
                    catalog_kind(layer.kind) is None and layer.kind != "OpaqueOp":
                resized.add(layer.target)
        elif layer.op == "constant" and layer.target not in store:
            if layer.target not in tensors:
                raise DesignLoadError(f"the saved weights have no tensor {layer.target}")
            value = tensors[layer.target]
            original = base.get(layer.target)
            store[layer.target] = nn.Parameter(value) if isinstance(original, nn.Parameter) \
                else value
    for target, item in store.items():
        if isinstance(item, nn.Module):
            prefix = f"{target}."
            sub = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            if target in resized:
                _take_shapes(item, sub)
            try:
                item.load_state_dict(sub, strict=True)
            except RuntimeError as error:
                raise DesignLoadError(f"weights for {target} do not fit: {error}") from error
    return store


def _resized(original: nn.Module, params: dict[str, Any]) -> nn.Module:
    """The architecture's own module with other channel counts (a pruned design): a copy whose
    simple constructor attributes (in/out channels, groups, num_features) take the saved
    values; `_take_shapes` gives its tensors the saved shapes before the weights load."""
    module = copy.deepcopy(original)
    known = module_params(original)
    for key, value in params.items():
        if key in known and value != known[key] and type(value) is type(known[key]) and \
                isinstance(value, int) and key != "bias":  # channel counts and groups
            setattr(module, key, value)
    return module


def _take_shapes(module: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Give a resized module's parameters and buffers the saved tensors' shapes (the values
    are loaded next, strictly: every name must still match)."""
    for key, value in tensors.items():
        owner_path, _, leaf = key.rpartition(".")
        try:
            owner = module.get_submodule(owner_path)
        except AttributeError:
            continue  # strict loading names it
        current = getattr(owner, leaf, None)
        if isinstance(current, nn.Parameter):
            setattr(owner, leaf, nn.Parameter(torch.empty_like(value),
                                              requires_grad=current.requires_grad))
        elif isinstance(current, torch.Tensor):
            setattr(owner, leaf, torch.empty_like(value))


def _module_for(target: str, kind: str, params: dict[str, Any], base: Store) -> nn.Module:
    original = base.get(target)
    if isinstance(original, nn.Module) and type(original).__name__ == kind:
        if module_params(original) == params:
            return original
        if catalog_kind(kind) is None:
            return _resized(original, params)
    if kind == "OpaqueOp":  # an imported operation kept as one node (surgery/opaque.py)
        try:
            return from_file_spec(params.get("spec"), target)
        except OpaqueOpError as error:
            raise DesignLoadError(str(error)) from error
    entry = catalog_kind(kind)
    if entry is None:
        raise DesignLoadError(f"cannot rebuild {kind} at {target}: it is not in the layer library "
                              "and not part of the original architecture")
    try:  # only the catalog's declared parameters, each converted and range-checked
        return create_module(entry, {k: v for k, v in params.items() if entry.spec(k)})
    except (ValueError, TypeError) as error:
        raise DesignLoadError(f"cannot rebuild {kind} at {target}: {error}") from error
