"""The design as the smallest faithful edit of its source: the builder call, then assignments.

An engineer who replaces resnet18's head writes ``model.fc = nn.Linear(512, 5)``, not the whole
forward pass. This module finds such a form: it traces the base architecture, compares its layers
with the design's by name, and proposes one attribute assignment per edit —

* a layer configured differently (a new head, a swapped layer): ``model.fc = nn.Linear(...)``;
* new layers between two others: the neighbour that calls them is wrapped in an
  ``nn.Sequential`` (``model.fc = nn.Sequential(nn.Dropout(p=0.2), model.fc)``);
* a deleted layer: ``model.layer2[0].relu = nn.Identity()``.

The proposal is only used when it is *proven* faithful: the edited base is traced again and must
give the design's graph operation for operation (same kinds, settings and dataflow; each design
layer backed by exactly one module of the edited base, so a layer called twice cannot be wrapped
by mistake) and hold exactly the design's tensors under the new names. Anything else — an edit
that changes the data flow inside a block, a function layer added or deleted — returns None and
the script falls back to writing the whole network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from designer.core.layers import Layer, Ref
from designer.export.codegen.architecture import BaseArchitecture, build_base
from designer.export.codegen.constructors import constructor, difference, rebuild, settings_changed
from designer.export.codegen.values import CodegenError, accessor
from designer.surgery.design import Design

_IDENTITY = "nn.Identity()"


@dataclass(frozen=True)
class Edit:
    """One statement of the script's network: ``model.<path> = <source>  # <comment>``."""

    path: str
    source: str
    comment: str


@dataclass
class MinimalForm:
    """The edits, the network they build (meta device) and where the design's tensors went."""

    edits: list[Edit]
    root: nn.Module
    #: design module / tensor path -> the same object's path in the script's network
    paths: dict[str, str] = field(default_factory=dict)

    def rename(self, key: str) -> str:
        """The script's name of a design state_dict key (or parameter name)."""
        owner = max((p for p in self.paths if key == p or key.startswith(f"{p}.")), key=len,
                    default=None)
        return key if owner is None else self.paths[owner] + key[len(owner):]


@dataclass
class _Slot:
    """What the script puts at one attribute path of the base model."""

    path: str
    core: str  # the module's own expression ("model.fc" when it is kept as it is)
    before: list[nn.Module] = field(default_factory=list)
    after: list[nn.Module] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def minimal_form(design: Design, base: BaseArchitecture) -> MinimalForm | None:
    """The design as edits of `base`, or None when no assignment-only form reproduces it."""
    try:
        base_module = build_base(base)
        traced = Design.from_module(copy.deepcopy(base_module), design.info)
    except Exception:  # noqa: BLE001 - any failure means: write the whole network instead
        return None
    slots = _propose(design, list(traced.network), base_module)
    if slots is None:
        return None
    try:
        root, edits = _apply(base_module, slots)
        paths = _verify(design, root, {e.path for e in edits if e.source == _IDENTITY})
    except CodegenError:
        return None
    return None if paths is None else MinimalForm(edits, root, paths)


# ----- proposing --------------------------------------------------------------------------
def _propose(design: Design, base_layers: list[Layer], base: nn.Module) -> dict[str, _Slot] | None:
    ours = {layer.name: layer for layer in design.network}
    theirs = {layer.name: layer for layer in base_layers}
    try:
        heads = {layer.name for layer in design.head_layers()}
    except Exception:  # noqa: BLE001 - no classifier layer: comments name layers instead
        heads = set()
    slots: dict[str, _Slot] = {}

    def slot(path: str) -> _Slot:
        return slots.setdefault(path, _Slot(path, accessor("model", base, path)))

    for layer in design.network:
        original = theirs.get(layer.name)
        if original is None or layer.op != "module":
            if original is None and layer.op != "module":
                return None  # a new function/method layer: the forward itself changed
            continue
        if original.op != "module" or original.target != layer.target:
            return None
        mine, old = design.store.get(layer.target), base.get_submodule(layer.target)
        if isinstance(mine, nn.Module) and difference(old, mine):
            entry = slot(layer.target)
            if entry.notes:
                continue  # a layer called twice is replaced once
            entry.core = constructor(mine)
            entry.notes.append(_replaced(layer.name, old, mine, layer.name in heads))
    for name, original in theirs.items():
        if name in ours:
            continue
        if original.op != "module" or any(ly.op == "module" and ly.target == original.target
                                          for ly in design.network):
            return None  # a deleted function, or a module the design still calls elsewhere
        entry = slot(original.target)
        entry.core = _IDENTITY
        entry.notes.append(f"deleted {name} (its input passes through)")
    added = [ly for ly in design.network if ly.name not in theirs]
    return slots if _place_insertions(design, added, ours, theirs, slot) else None


def _place_insertions(design: Design, added: list[Layer], ours: dict[str, Layer],
                      theirs: dict[str, Layer], slot: Callable[[str], _Slot]) -> bool:
    """Wrap each run of new layers into the neighbour that calls it (or that it follows)."""
    consumers: dict[str, list[Layer]] = {}
    for layer in design.network:
        for name in layer.inputs:
            consumers.setdefault(name, []).append(layer)
    new = {ly.name for ly in added}
    calls = _calls_per_target(design.network)
    done: set[str] = set()
    for first in added:
        if first.name in done:
            continue
        chain = [first]
        while True:
            after = consumers.get(chain[-1].name, [])
            if len(after) == 1 and after[0].name in new and after[0].inputs == [chain[-1].name]:
                chain.append(after[0])
            else:
                break
        if any(len(ly.inputs) != 1 for ly in chain) or chain[0].inputs[0] in new:
            return False
        done.update(ly.name for ly in chain)
        modules = [m for m in (design.store.get(ly.target) for ly in chain) if isinstance(m, nn.Module)]
        if len(modules) != len(chain):
            return False
        kinds = " + ".join(type(m).__name__ for m in modules)
        after = consumers.get(chain[-1].name, [])
        producer = ours[chain[0].inputs[0]]
        if len(after) == 1 and _wrappable(after[0], calls, theirs) and \
                after[0].inputs == [chain[-1].name]:
            target = slot(after[0].target)
            target.before.extend(modules)
            target.notes.append(f"inserted {kinds} before {after[0].name}")
        elif _wrappable(producer, calls, theirs) and \
                [ly.name for ly in consumers.get(producer.name, [])] == [chain[0].name]:
            target = slot(producer.target)
            target.after.extend(modules)
            target.notes.append(f"inserted {kinds} after {producer.name}")
        else:
            return False
    return True


def _wrappable(layer: Layer, calls: dict[str, int], theirs: dict[str, Layer]) -> bool:
    """A base module the network calls exactly once can take new neighbours inside a Sequential."""
    return layer.op == "module" and layer.name in theirs and calls.get(layer.target, 0) == 1


def _calls_per_target(layers: Iterable[Layer]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for layer in layers:
        if layer.op == "module":
            counts[layer.target] = counts.get(layer.target, 0) + 1
    return counts


def _replaced(name: str, old: nn.Module, new: nn.Module, head: bool) -> str:
    """The canvas gesture behind a layer configured differently, in the user's words."""
    if head:
        classes = getattr(new, "out_features", None) or getattr(new, "out_channels", None)
        was = getattr(old, "out_features", None) or getattr(old, "out_channels", None)
        return f"replaced the classifier head: {classes} classes (was {was})" if classes and was \
            else "replaced the classifier head"
    if type(old) is not type(new):
        return f"swapped {name} ({type(old).__name__}) for {type(new).__name__}"
    changed = [f"{key} {before!r} -> {after!r}" for key, before, after in settings_changed(old, new)]
    return f"changed {name}: {', '.join(changed)}" if changed else f"replaced {name}"


# ----- building and proving ---------------------------------------------------------------
def _apply(base: nn.Module, slots: dict[str, _Slot]) -> tuple[nn.Module, list[Edit]]:
    root = copy.deepcopy(base)
    edits = []
    for entry in slots.values():
        core = root.get_submodule(entry.path) if entry.core.startswith("model") else rebuild(entry.core)
        parts = [constructor(m) for m in entry.before] + [entry.core] + \
            [constructor(m) for m in entry.after]
        if len(parts) == 1:
            source, module = entry.core, core
        else:
            source = f"nn.Sequential({', '.join(parts)})"
            module = nn.Sequential(*[rebuild(p) for p in parts[:len(entry.before)]], core,
                                   *[rebuild(p) for p in parts[len(entry.before) + 1:]])
        parent, _, child = entry.path.rpartition(".")
        setattr(root.get_submodule(parent) if parent else root, child, module)
        edits.append(Edit(entry.path, source, "; ".join(entry.notes)))
    return root, edits


def _verify(design: Design, root: nn.Module, deleted: set[str]) -> dict[str, str] | None:
    """Design path -> script path when `root` computes exactly the design's graph, else None.

    The Identity layers standing in for `deleted` layers pass their input through, as the design's
    missing layer does, so they are looked through.
    """
    try:
        traced = _without_identities(list(Design.from_module(copy.deepcopy(root), design.info).network),
                                     deleted)
    except Exception:  # noqa: BLE001 - an edited base that does not trace is not faithful
        return None
    ours = list(design.network)
    if len(ours) != len(traced):
        return None
    names: dict[str, str] = {}
    paths: dict[str, str] = {}
    for mine, theirs in zip(ours, traced, strict=True):
        if not _same_operation(mine, theirs, names):
            return None
        names[mine.name] = theirs.name
        if mine.op in ("module", "constant"):
            if paths.setdefault(mine.target, theirs.target) != theirs.target:
                return None
            if not _same_item(design.store.get(mine.target), _item(root, theirs.target)):
                return None
    if len(set(paths.values())) != len(paths):
        return None  # two design layers would share one module of the script
    return paths if _same_tensors(design, root, paths) else None


def _without_identities(layers: list[Layer], deleted: set[str]) -> list[Layer]:
    through: dict[str, object] = {}
    kept = []
    for layer in layers:
        if layer.op == "module" and layer.target in deleted and len(layer.args) == 1:
            through[layer.name] = _looked_through(layer.args[0], through)
            continue
        kept.append(layer.with_changes(args=_looked_through(layer.args, through),
                                       kwargs=_looked_through(layer.kwargs, through)))
    return kept


def _looked_through(value: Any, through: dict[str, object]) -> Any:
    if isinstance(value, Ref):
        return through.get(value.name, value)
    if isinstance(value, tuple):
        return tuple(_looked_through(v, through) for v in value)
    if isinstance(value, list):
        return [_looked_through(v, through) for v in value]
    if isinstance(value, dict):
        return {k: _looked_through(v, through) for k, v in value.items()}
    return value


def _same_operation(mine: Layer, theirs: Layer, names: dict[str, str]) -> bool:
    if (mine.op, mine.kind) != (theirs.op, theirs.kind) or mine.params != theirs.params:
        return False
    if mine.op in ("function", "method") and mine.target != theirs.target:
        return False
    return _renamed(mine.args, names) == theirs.args and \
        {k: _renamed(v, names) for k, v in mine.kwargs.items()} == theirs.kwargs


def _renamed(value: object, names: dict[str, str]) -> object:
    if isinstance(value, Ref):
        return Ref(names.get(value.name, f"?{value.name}"))
    if isinstance(value, tuple):
        return tuple(_renamed(v, names) for v in value)
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    return value


def _item(root: nn.Module, path: str) -> object:
    value: object = root
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


def _same_item(mine: object, theirs: object) -> bool:
    if isinstance(mine, nn.Module) and isinstance(theirs, nn.Module):
        return not difference(mine, theirs)
    if isinstance(mine, torch.Tensor) and isinstance(theirs, torch.Tensor):
        return mine.shape == theirs.shape and mine.dtype == theirs.dtype
    return False


def _same_tensors(design: Design, root: nn.Module, paths: dict[str, str]) -> bool:
    """The script's network holds exactly the design's tensors (so the weights load strictly)."""
    form = MinimalForm([], root, paths)
    want: dict[str, tuple[tuple[int, ...], torch.dtype]] = {}
    for path, script_path in paths.items():
        item = design.store.get(path)
        if isinstance(item, nn.Module):
            for key, tensor in item.state_dict().items():
                want[f"{script_path}.{key}"] = (tuple(tensor.shape), tensor.dtype)
        elif isinstance(item, torch.Tensor):
            want[form.rename(path)] = (tuple(item.shape), item.dtype)
    have = {k: (tuple(t.shape), t.dtype) for k, t in root.state_dict().items()}
    return want == have
