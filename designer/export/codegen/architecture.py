"""``DesignedNetwork.__init__``: the base architecture, the layers the design kept, added or removed.

The design's modules are compared with a freshly built base architecture (on the meta device, so
nothing is allocated): a layer configured like the base's at the same path is *kept* and comes
with its top-level block (``self.layer1 = base.layer1``); any other layer is written as
constructor code; base layers the design no longer calls are deleted, so the network's
state_dict has exactly the design's keys and ``weights.safetensors`` loads strictly.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from designer.export.codegen.constructors import constructor, difference, rebuild, tensor_signature
from designer.export.codegen.values import (
    CodegenError,
    accessor,
    assignment,
    deletion,
    literal,
    quoted,
)
from designer.surgery.design import Design


@dataclass(frozen=True)
class BaseArchitecture:
    """How the script builds the architecture the design started from."""

    expression: str  # e.g. torchvision.models.resnet18(weights=None)
    label: str  # e.g. "torchvision's resnet18"
    imports: tuple[str, ...]


@dataclass
class InitCode:
    """Statements of ``__init__`` (after ``super().__init__()``) and the assembled module."""

    lines: list[str]
    imports: set[str]
    root: nn.Module  # the network as those statements build it (meta device)
    kept: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def base_architecture(design: Design) -> BaseArchitecture | None:
    """The zoo architecture behind the design, or None for a user's own module."""
    info = design.info
    if info.source == "timm":  # a timm zoo tag: the tag names the architecture and its config
        return BaseArchitecture(f"timm.create_model({quoted(info.model_name)}, pretrained=False)",
                                f"timm's {info.model_name}", ("timm",))
    if info.source not in ("torchvision", "bundled"):
        return None
    from designer.zoo.bundled import LITE0, MOBILENET_V2_BACKBONE
    from designer.zoo.registry import get_entry

    name = info.architecture or info.model_name  # a pruned copy names the entry it came from
    if name == LITE0:
        return BaseArchitecture('timm.create_model("tf_efficientnet_lite0", pretrained=False)',
                                "timm's tf_efficientnet_lite0", ("timm",))
    if name == MOBILENET_V2_BACKBONE:
        return BaseArchitecture("torchvision.models.mobilenet_v2(weights=None)",
                                "torchvision's mobilenet_v2", ("torchvision",))
    entry = get_entry(name)
    kwargs = "".join(f", {k}={literal(v)}" for k, v in entry.builder_kwargs.items())
    import torchvision

    if hasattr(torchvision.models, entry.name):
        call = f"torchvision.models.{entry.name}(weights=None{kwargs})"
    else:
        call = f"torchvision.models.get_model({quoted(entry.name)}, weights=None{kwargs})"
    return BaseArchitecture(call, f"torchvision's {entry.name}", ("torchvision",))


def build_base(base: BaseArchitecture) -> nn.Module:
    """The base architecture on the meta device (shapes and configuration only)."""
    namespace: dict[str, object] = {"torch": torch, "nn": nn}
    for module in base.imports:
        namespace[module] = __import__(module)
    try:
        with torch.device("meta"):
            built = eval(base.expression, namespace)
    except (NotImplementedError, RuntimeError):  # e.g. regnets' init cannot run on meta
        built = eval(base.expression, namespace)
    if not isinstance(built, nn.Module):
        raise CodegenError(f"{base.expression} did not build a module")
    return built


def init_code(design: Design, base: BaseArchitecture | None) -> InitCode:
    """The statements that assemble the network, checked against the design's tensors."""
    modules, tensors = _used(design)
    base_module = build_base(base) if base is not None else None
    kept = _kept_paths(modules, tensors, base_module)
    root = nn.Module()
    code = InitCode([], set(base.imports) if base else set(), root)
    if base is not None and base_module is not None:
        code.lines.append(f"base = {base.expression}")
    _transfer_and_write(code, modules, tensors, kept, copy.deepcopy(base_module))
    _remove_unused(code, modules, tensors)
    _check_keys(root, modules, tensors)
    return code


def _used(design: Design) -> tuple[dict[str, nn.Module], dict[str, torch.Tensor]]:
    """Modules and tensors the layers call, by path, in order of first use."""
    modules: dict[str, nn.Module] = {}
    tensors: dict[str, torch.Tensor] = {}
    for layer in design.network:
        item = design.store.get(layer.target) if layer.op in ("module", "constant") else None
        if isinstance(item, nn.Module):
            modules.setdefault(layer.target, item)
        elif isinstance(item, torch.Tensor):
            tensors.setdefault(layer.target, item)
    return modules, tensors


def _kept_paths(modules: dict[str, nn.Module], tensors: dict[str, torch.Tensor],
                base: nn.Module | None) -> set[str]:
    if base is None:
        return set()
    kept = set()
    for path, module in modules.items():
        original = _find(base, path)
        if isinstance(original, nn.Module) and not difference(original, module):
            kept.add(path)
    for path, tensor in tensors.items():
        original = _find(base, path)
        if isinstance(original, torch.Tensor) and original.shape == tensor.shape and \
                original.dtype == tensor.dtype and \
                isinstance(original, nn.Parameter) == isinstance(tensor, nn.Parameter):
            kept.add(path)
    return kept


def _find(root: nn.Module, path: str) -> object:
    value: object = root
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _transfer_and_write(code: InitCode, modules: dict[str, nn.Module],
                        tensors: dict[str, torch.Tensor], kept: set[str], base: nn.Module | None) -> None:
    """Top-level blocks from the base in order of first use; new layers written in place."""
    order = [*modules, *tensors]
    tops = list(dict.fromkeys(p.split(".")[0] for p in order))
    for top in tops:
        if base is not None and any(p == top or p.startswith(f"{top}.") for p in kept):
            _take_from_base(code, base, top)
    for path in order:
        if path in kept:
            code.kept.append(path)
            continue
        _ensure_parents(code, path, order)
        source, note = _new_item(path, modules.get(path), tensors.get(path), base)
        if source.startswith("torchvision."):
            code.imports.add("torchvision")
        if source.startswith("register_buffer"):
            parent, _, child = path.rpartition(".")
            owner = accessor("self", code.root, parent) if parent else "self"
            code.lines.append(f"{owner}.register_buffer({quoted(child)}, {source.split(':', 1)[1]})"
                              + (f"  # {note}" if note else ""))
            _register_buffer(code.root, path, tensors[path])
        else:
            code.lines.append(assignment("self", code.root, path, source) + (f"  # {note}" if note else ""))
            _assign(code.root, path, rebuild(source) if path in modules else None, tensors.get(path))
        code.written.append(path)


def _take_from_base(code: InitCode, base: nn.Module, top: str) -> None:
    item = getattr(base, top)
    if isinstance(item, torch.Tensor) and not isinstance(item, nn.Parameter):
        code.lines.append(f"self.register_buffer({quoted(top)}, base.{top})")
        code.root.register_buffer(top, item)
    else:
        code.lines.append(f"self.{top} = base.{top}" if top.isidentifier()
                          else f"self.add_module({quoted(top)}, getattr(base, {quoted(top)}))")
        setattr(code.root, top, item)


def _new_item(path: str, module: nn.Module | None, tensor: torch.Tensor | None,
              base: nn.Module | None) -> tuple[str, str]:
    """(source, comment) of a layer or tensor the base does not provide as it is."""
    original = _find(base, path) if base is not None else None
    note = "replaced" if original is not None else ("added" if base is not None else "")
    if module is not None:
        try:
            return constructor(module), note
        except CodegenError as error:
            raise CodegenError(_cannot_write(path, error, base is None)) from error
    assert tensor is not None
    empty = f"torch.empty({literal(tuple(tensor.shape))}, dtype=torch.{str(tensor.dtype).split('.')[-1]})"
    if isinstance(tensor, nn.Parameter):
        return f"nn.Parameter({empty})", note or "values from weights.safetensors"
    return f"register_buffer:{empty}", note or "values from weights.safetensors"


def _cannot_write(path: str, error: CodegenError, own_module: bool) -> str:
    where = ("The design comes from your own module, so the script builds every layer itself"
             if own_module else "The script writes the layers a design adds or changes as code")
    return (f"layer {path}: {error}. {where}, and only torch.nn and torchvision.ops layers can be "
            "written as constructor calls. Export the model instead (ONNX or .pt2 keep the whole "
            "network), or edit the generated train.py to import your layer's class.")


def _ensure_parents(code: InitCode, path: str, order: list[str]) -> None:
    """Create missing containers; one whose children are all numbered is an nn.Sequential."""
    parts = path.split(".")[:-1]
    for depth in range(1, len(parts) + 1):
        parent = ".".join(parts[:depth])
        if not isinstance(_find(code.root, parent), nn.Module):
            children = {p[len(parent) + 1 :].split(".")[0] for p in order if p.startswith(f"{parent}.")}
            kind = "Sequential" if all(c.isdigit() for c in children) else "Module"
            code.lines.append(assignment("self", code.root, parent, f"nn.{kind}()"))
            _assign(code.root, parent, getattr(nn, kind)(), None)


def _assign(root: nn.Module, path: str, module: nn.Module | None, tensor: torch.Tensor | None) -> None:
    parent_path, _, child = path.rpartition(".")
    parent = root.get_submodule(parent_path) if parent_path else root
    if module is not None:  # setattr, like the generated statement
        setattr(parent, child, module)
    else:
        assert tensor is not None
        parent.register_parameter(child, nn.Parameter(torch.empty_like(tensor, device="meta")))


def _register_buffer(root: nn.Module, path: str, tensor: torch.Tensor) -> None:
    parent_path, _, child = path.rpartition(".")
    parent = root.get_submodule(parent_path) if parent_path else root
    parent.register_buffer(child, torch.empty_like(tensor, device="meta"))


def _remove_unused(code: InitCode, modules: dict[str, nn.Module], tensors: dict[str, torch.Tensor]) -> None:
    """Delete base layers and tensors the design no longer uses (deepest last-first)."""
    used = set(modules) | set(tensors)
    leaves = set(modules)
    removed: list[str] = []
    for path, owner in _all_items(code.root):
        if any(path == r or path.startswith(f"{r}.") for r in removed):
            continue
        if any(path.startswith(f"{leaf}.") for leaf in leaves):
            continue  # inside a layer the network calls as a whole
        if path in used or any(u.startswith(f"{path}.") for u in used) or not owner:
            continue
        if _holds_tensors(code.root, path):  # an unused layer without weights does no harm
            removed.append(path)
    for path in reversed(removed):
        code.lines.append(deletion("self", code.root, path))
        parent_path, _, child = path.rpartition(".")
        delattr(code.root.get_submodule(parent_path) if parent_path else code.root, child)
    code.removed = removed


def _holds_tensors(root: nn.Module, path: str) -> bool:
    item = _find(root, path)
    return isinstance(item, torch.Tensor) or (isinstance(item, nn.Module) and bool(item.state_dict()))


def _all_items(root: nn.Module) -> list[tuple[str, bool]]:
    """(path, is removable) for every submodule and directly held tensor, in pre-order."""
    items: list[tuple[str, bool]] = []
    for name, module in root.named_modules():
        if name:
            items.append((name, True))
        prefix = f"{name}." if name else ""
        for key in list(module._parameters) + list(module._buffers):
            items.append((f"{prefix}{key}", bool(name)))
    return items


def _check_keys(root: nn.Module, modules: dict[str, nn.Module], tensors: dict[str, torch.Tensor]) -> None:
    """The network must hold exactly the tensors of the built design, or the weights won't load."""
    want = {f"{path}.{k}": (tuple(t.shape), t.dtype) for path, module in modules.items()
            for k, t in module.state_dict().items()}
    want.update({path: (tuple(t.shape), t.dtype) for path, t in tensors.items()})
    have = {k: v[:2] for k, v in tensor_signature(root).items()}
    if want != have:
        missing = sorted(set(want) - set(have))[:3]
        extra = sorted(set(have) - set(want))[:3]
        shapes = sorted(k for k in set(want) & set(have) if want[k] != have[k])[:3]
        raise CodegenError("the generated network would not hold the design's weights "
                           f"(missing {missing}, unexpected {extra}, other shapes {shapes}); "
                           "please report this design")
