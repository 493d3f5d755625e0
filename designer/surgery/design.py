"""`Design`: the editable model the GUI, the CLI and notebooks share.

A design is a document (`Network`, torch-free) plus the modules its layers call (`Store`),
plus an undo history. Every public edit is a transaction: one undo entry and one
`Network.changed` event, and if it fails halfway the design is put back as it was. Undo
restores document and weights exactly, because edits swap module objects instead of changing
them. `transaction` groups several edits (one user gesture) the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import torch
from torch import fx, nn

from designer.core.analysis import NetworkAnalysis
from designer.core.commands import Command, CommandStack, StateCommand
from designer.core.layers import Layer
from designer.core.network import Network, NetworkError, NetworkState
from designer.surgery import arguments as check
from designer.surgery import edits, plumbing
from designer.surgery.analysis import analyze
from designer.surgery.build import build_module
from designer.surgery.modules import create_module, seeded_init
from designer.surgery.snapshot import FrozenDesign, lr_factors_of
from designer.surgery.store import Store, bytes_only_in, store_state_dict
from designer.surgery.trace import network_from_module
from designer.zoo.preprocessing import Preprocessing


@dataclass(frozen=True)
class DesignInfo:
    """What the design is and how its input looks (kept with undo, saved with projects)."""

    model_name: str = "custom"
    source: str = "module"  # "torchvision" | "bundled" | "module" | "file"
    weights: str = "none"
    class_names: tuple[str, ...] = ()
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    input_size: int = 224
    #: module paths of the classifier head(s), as the model declares them (timm's
    #: ``pretrained_cfg["classifier"]``); empty: the last Linear/Conv2d is the head
    head: tuple[str, ...] = ()
    #: (label, module path) of each stage boundary (timm's ``feature_info``), shallow first
    stages: tuple[tuple[str, str], ...] = ()
    #: the zoo entry whose modules this design is built from, when `model_name` names
    #: something derived from it (a pruned copy); empty: `model_name` itself
    architecture: str = ""

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """Shape of one input image batch of size 1."""
        return (1, 3, self.input_size, self.input_size)


@dataclass(frozen=True)
class _State:
    network: NetworkState
    store: Store
    info: DesignInfo


class Design:
    """An editable network with weights, analysis and undo.

    Every public method checks its arguments; a wrong layer name, type or value, and an edit
    that cannot be made, raise `EditError` (a `designer.core.errors.UserError`) with a message
    naming the argument and what it accepts. Where a list of layer names is expected, one
    string is one name.
    """

    #: the undo history drops its oldest entries when the tensors only it keeps alive (old
    #: heads, weights before a load...) exceed this many bytes
    history_budget_bytes: int = 1 << 30

    def __init__(self, network: Network, store: Store, info: DesignInfo | None = None, *,
                 analyse: bool = True) -> None:
        """`analyse=False` leaves the analysis for later (a background thread, `analyze()`):
        helper layers the graph shows to be plumbing are hidden now, the rest when the first
        analysis arrives, so the design can be drawn before its shapes are known."""
        if not isinstance(analyse, bool):
            raise edits.EditError(f"analyse must be True or False, got {analyse!r}")
        self.network = network
        self.store = store
        self.info = info or DesignInfo()
        self.history = CommandStack()
        self._analysis: NetworkAnalysis | None = None
        self._transaction_depth = 0
        self.network.changed.connect(self._invalidate)
        self._plumbing_pending = True
        plumbing.hide_from_graph(self.network)
        # the dataflow graph now, on the thread that opens the design: the views read it
        # (actions, the canvas's layout), and the first one also imports networkx (~0.3 s)
        _ = self.network.graph
        if analyse:
            self.analyze()

    # ----- construction ----------------------------------------------------------------
    @classmethod
    def from_module(cls, module: nn.Module, info: DesignInfo | None = None, *,
                    analyse: bool = True) -> Design:
        """Import any traceable nn.Module (it is copied; the original is never changed).
        `analyse=False`: see `__init__` (the GUI draws first and analyses in the background)."""
        if not isinstance(module, nn.Module):
            raise edits.EditError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if info is not None and not isinstance(info, DesignInfo):
            raise edits.EditError(f"info must be a DesignInfo, got {type(info).__name__}")
        network, store = network_from_module(module)
        return cls(network, store, info, analyse=analyse)

    def _mark_plumbing(self, analysis: NetworkAnalysis) -> None:
        """Hide the helper nodes (shape arithmetic, asserts) the first analysis shows to carry
        no tensor to the output, beyond those the graph showed (once per design: later edits
        keep the user's layers as they are). A change redraws the structure."""
        if not self._plumbing_pending:
            return
        self._plumbing_pending = False
        hidden = plumbing.from_analysis(self.network, analysis)
        if hidden:
            with self.network.batch():
                self.network.update(hidden)
                self.network.mark_changed(None)  # the drawn graph changes

    # ----- reading ---------------------------------------------------------------------
    @property
    def cached_analysis(self) -> NetworkAnalysis | None:
        """The analysis of the current state if one was made, else None (never computes)."""
        return self._analysis

    def analyze(self) -> NetworkAnalysis:
        """Shapes, parameters, MACs and issues of the current state (cached until an edit)."""
        if self._analysis is None:
            analysis = analyze(self.network, self.store, self.info.input_shape)
            self._mark_plumbing(analysis)
            self._analysis = analysis  # hiding helper nodes changes no shape
        return self._analysis

    def accept_analysis(self, analysis: NetworkAnalysis) -> None:
        """Use an analysis computed elsewhere (in the background) for the current state."""
        if not isinstance(analysis, NetworkAnalysis):
            raise edits.EditError(f"analysis must be a NetworkAnalysis, got "
                                  f"{type(analysis).__name__}")
        self._mark_plumbing(analysis)
        self._analysis = analysis  # hiding helper nodes changes no shape

    def _invalidate(self, _changed: object = None) -> None:
        self._analysis = None

    @property
    def num_classes(self) -> int | None:
        """Size of the output (classes), when the analysis knows it."""
        shape = self.analyze().output_shape
        return shape[-1] if shape else None

    def build(self, *, copy_weights: bool = True) -> fx.GraphModule:
        """A runnable nn.Module (eval mode) with frozen layers' requires_grad switched off."""
        return build_module(self.network, self.store, copy_weights=copy_weights).eval()

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every tensor of the design, named as in the built module."""
        return store_state_dict(self.store)

    def lr_factors(self) -> dict[str, float]:
        """Learning-rate factor per parameter name, for layers whose factor is not 1."""
        return lr_factors_of(self.network, self.store)

    def snapshot(self) -> FrozenDesign:
        """This state as an immutable value another thread can build and train from (cheap:
        modules and tensors by reference; see designer.surgery.snapshot)."""
        return FrozenDesign(self.network.state(), MappingProxyType(dict(self.store)), self.info,
                            self._analysis)

    def frozen_layers(self) -> list[str]:
        """Names of frozen layers that hold weights."""
        return [ly.name for ly in self.network if ly.frozen and ly.num_params > 0]

    # ----- undo ------------------------------------------------------------------------
    def _capture(self) -> _State:
        return _State(self.network.state(), dict(self.store), self.info)

    def _restore(self, state: _State) -> None:
        self.store.clear()
        self.store.update(state.store)
        self.info = state.info
        self.network.restore(state.network)

    @contextmanager
    def transaction(self, label: str) -> Iterator[None]:
        """Make the edits inside one undo entry (`label`) and one change event.

        If anything inside raises, the design (document, weights, info) is put back exactly as
        it was, no event is emitted and nothing is recorded. Nested transactions join the
        outermost one.
        """
        label = check.text(label, "label")
        before, analysis = self._capture(), self._analysis
        self._transaction_depth += 1
        try:
            with self.network.batch():
                try:
                    self._analysis = None
                    yield
                except BaseException as error:
                    self._restore(before)
                    self._analysis = analysis
                    if isinstance(error, NetworkError):
                        raise edits.EditError(str(error)) from error
                    raise
        finally:
            self._transaction_depth -= 1
        if not self._transaction_depth:
            self.history.record(StateCommand(label, before, self._capture(), self._restore))
            self.history.trim(lambda kept: self._bytes_held(kept) > self.history_budget_bytes)

    def history_bytes(self) -> int:
        """Bytes of tensors that only the undo history keeps alive."""
        return self._bytes_held(self.history.commands)

    def _bytes_held(self, commands: Iterable[Command]) -> int:
        states = [s for c in commands for s in c.states() if isinstance(s, _State)]
        return bytes_only_in((s.store for s in states), self.store)

    def _edit(self, label: str, apply: Callable[[], None]) -> None:
        with self.transaction(label):
            apply()

    def undo(self) -> bool:
        """Undo the last edit (False when there is none)."""
        return self.history.undo()

    def redo(self) -> bool:
        """Redo the last undone edit (False when there is none)."""
        return self.history.redo()

    # ----- edits -----------------------------------------------------------------------
    def replace_head(self, num_classes: int | None = None, *, class_names: Sequence[str] = (),
                     dropout: float = 0.0) -> str:
        """Replace the final layer for new classes, keeping every other pretrained tensor.

        Returns the name of the new final layer.
        """
        names = check.class_names(class_names)
        if num_classes is None and not names:
            raise edits.EditError("replace_head needs num_classes or class_names")
        count = check.class_count(num_classes if num_classes is not None else len(names))
        if names and len(names) != count:
            raise edits.EditError(f"{len(names)} class names given for {count} classes")
        dropout = check.fraction(dropout, "dropout")
        heads = self.head_layers()
        new = {}
        for head in heads:
            old = self.store[head.target]
            assert isinstance(old, nn.Module)
            new[head.name] = _new_head(old, count, head.target)

        def apply() -> None:
            for head in heads:
                edits.replace_module(self.network, self.store, head.name, new[head.name])
                self.network.update([self.network[head.name].with_changes(frozen=False,
                                                                          lr_factor=1.0)])
                if dropout > 0:
                    self._set_dropout_before(head.name, dropout)
            self.info = replace(self.info, class_names=names)

        self._edit(f"Replace final layer for {count} classes", apply)
        return heads[0].name

    def head_layers(self) -> list[Layer]:
        """The classifier layer(s): those the model declares (timm: two for distilled models,
        whose outputs are averaged), else the last Linear/Conv2d before the output."""
        declared = [ly for ly in self.network if ly.op == "module" and ly.target in self.info.head]
        return declared or [edits.final_parametric_layer(self.network)]

    def freeze_stage(self, number: int) -> None:
        """Freeze stages 1..``number`` (timm's ``feature_info`` boundaries, see ``info.stages``)."""
        count = len(self.info.stages)
        if count == 0:
            raise edits.EditError("this model declares no stages; freeze up to a layer instead")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= count:
            raise edits.EditError(f"number must be a stage from 1 to {count}, got {number!r}")
        label, path = self.info.stages[number - 1]
        inside = [ly.name for ly in self.network if ly.op == "module"
                  and (ly.target == path or ly.target.startswith(f"{path}."))]
        if not inside:
            raise edits.EditError(f"{label} has no layer left in this design")
        chosen = [*self.network.upstream(inside[-1]), inside[-1]]
        self.set_frozen(self._in_order(chosen), True, f"Freeze up to {label}")

    def _set_dropout_before(self, head: str, p: float) -> None:
        source = self.network[self.network[head].inputs[0]]
        if source.kind == "Dropout" and source.op == "module":
            edits.replace_module(self.network, self.store, source.name, nn.Dropout(p))
            return
        path = edits.module_path_near(self.store, self.network, self.network[head], "dropout")
        module = nn.Dropout(p)
        self.store[path] = module
        layer = edits.new_module_layer(self.network, path, module, source.name,
                                       self.network[head].group)
        edits.insert_after(self.network, source.name, layer, only_into=head)

    def set_frozen(self, names: Iterable[str] | str, frozen: bool, label: str | None = None) -> None:
        """Freeze or unfreeze the given layers."""
        targets = [self.network[n] for n in check.layer_names(self.network, names, "names")]
        frozen = check.flag(frozen, "frozen")
        text = check.text(label, "label") if label is not None else None
        text = text or f"{'Freeze' if frozen else 'Unfreeze'} {_names_text(targets)}"
        self._edit(text, lambda: self.network.update(
            [t.with_changes(frozen=frozen) for t in targets]))

    def freeze(self, names: Iterable[str] | str = (), *, up_to: str | None = None) -> None:
        """Freeze layers; `up_to` freezes that layer and everything it depends on."""
        chosen = self._optional_names(names, up_to)
        if up_to is not None:
            up_to = check.layer_name(self.network, up_to, "up_to")
            chosen += [*self.network.upstream(up_to), up_to]
            self.set_frozen(self._in_order(chosen), True, f"Freeze up to {up_to}")
        else:
            self.set_frozen(chosen, True)

    def freeze_backbone(self) -> None:
        """Freeze everything except the final layer (the usual transfer-learning start)."""
        heads = {ly.name for ly in self.head_layers()}
        chosen = {n for head in heads for n in self.network.upstream(head)} - heads
        self.set_frozen(self._in_order(chosen), True, "Freeze backbone")

    def unfreeze(self, names: Iterable[str] | str = (), *, from_: str | None = None) -> None:
        """Unfreeze layers; `from_` unfreezes that layer and everything after it."""
        chosen = self._optional_names(names, from_)
        if from_ is not None:
            from_ = check.layer_name(self.network, from_, "from_")
            chosen += [from_, *self.network.downstream(from_)]
            self.set_frozen(self._in_order(chosen), False, f"Unfreeze from {from_}")
        else:
            self.set_frozen(chosen, False)

    def set_lr_factor(self, names: Iterable[str] | str, factor: float | None = None) -> None:
        """Multiply the learning rate of these layers' weights by `factor` (0 freezes them)."""
        value = check.lr_factor(factor)
        targets = [self.network[n] for n in check.layer_names(self.network, names, "names")]
        self._edit(f"Set learning-rate factor {value:g} on {_names_text(targets)}",
                   lambda: self.network.update([t.with_changes(lr_factor=value)
                                                for t in targets]))

    def insert_layer(self, after: str, kind: str, *, into: str | None = None,
                     **values: Any) -> str:
        """Insert a library layer after `after` (on its edge to `into` only, if given)."""
        entry = edits.require_kind(kind)
        anchor = self.network[check.layer_name(self.network, after, "after")]
        if into is not None:
            check.layer_name(self.network, into, "into")
        filled = edits.infer_params(entry, edits.shape_of(self._analysis_or_none(), after), values)
        module = _checked_module(entry, filled, f"after {after}")
        path = edits.module_path_near(self.store, self.network, anchor, kind.lower())
        layer = edits.new_module_layer(self.network, path, module, after, anchor.group)

        def apply() -> None:
            self.store[path] = module
            edits.insert_after(self.network, after, layer, only_into=into)

        self._edit(f"Insert {kind} after {after}", apply)
        return layer.name

    def delete_layer(self, name: str) -> None:
        """Delete a layer; its consumers read its input instead (shapes may break: see analyze)."""
        self.delete_layers([check.layer_name(self.network, name, "name")])

    def delete_layers(self, names: Iterable[str] | str) -> None:
        """Delete several layers as one edit (one undo entry); all or none are deleted."""
        targets = [self.network[n] for n in check.layer_names(self.network, names, "names")]

        def apply() -> None:
            for target in targets:
                edits.delete_layer(self.network, target.name)

        self._edit(f"Delete {_names_text(targets)}", apply)

    def replace_layer(self, name: str, kind: str, **values: Any) -> None:
        """Replace a layer with a library layer of another kind (weights kept if they fit)."""
        entry = edits.require_kind(kind)
        layer = self.network[check.layer_name(self.network, name, "name")]
        source = layer.inputs[0] if layer.inputs else None
        shape = edits.shape_of(self._analysis_or_none(), source) if source else None
        module = _checked_module(entry, edits.infer_params(entry, shape, values), name)
        old = self.store.get(layer.target)
        if isinstance(old, nn.Module) and type(old) is type(module):
            from designer.surgery.modules import transfer_weights

            transfer_weights(old, module)
        path = edits.module_path_near(self.store, self.network, layer, kind.lower()) \
            if layer.op != "module" or len(edits.sharing_layers(self.network, name)) > 1 \
            else layer.target
        self._edit(f"Replace {name} with {kind}",
                   lambda: edits.replace_module(self.network, self.store, name, module, path))

    def set_params(self, name: str, **values: Any) -> list[str]:
        """Change hyper-parameters of a library-kind layer; invalid values raise, nothing changes.

        Returns every layer affected (a module called at several places changes at all of them).
        """
        layer = self.network[check.layer_name(self.network, name, "name")]
        old = self.store.get(layer.target)
        if not isinstance(old, nn.Module):
            raise edits.EditError(f"{name} has no editable parameters")
        try:
            new, _kept = edits.rebuilt_with(layer, old, values)
        except ValueError as error:
            raise edits.EditError(str(error)) from error
        affected = edits.sharing_layers(self.network, name)

        def apply() -> None:
            for other in affected:
                edits.replace_module(self.network, self.store, other, new)

        changed = ", ".join(f"{k}={v}" for k, v in values.items())
        self._edit(f"Set {changed} on {name}", apply)
        return affected

    def apply_state_dict(self, state: dict[str, torch.Tensor], label: str = "Load weights") -> None:
        """Load tensors (e.g. trained weights) into copies of the modules, as one undoable edit."""
        import copy

        if not isinstance(state, dict) or not all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
            raise edits.EditError("state must be a dict of tensor names to tensors (a state_dict)")

        new_store: Store = {}
        for path, item in self.store.items():
            prefix = f"{path}."
            if isinstance(item, nn.Module):
                clone = copy.deepcopy(item)
                sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
                if sub:
                    clone.load_state_dict(sub, strict=False)
                new_store[path] = clone
            else:
                new_store[path] = state[path].clone() if path in state else item

        def apply() -> None:
            self.store.clear()
            self.store.update(new_store)
            self.network.mark_changed(None)

        self._edit(label, apply)

    # ----- helpers ---------------------------------------------------------------------
    def _analysis_or_none(self) -> NetworkAnalysis | None:
        try:
            return self.analyze()
        except Exception:  # noqa: BLE001 - analyze() reports failures; inference just skips
            return None

    def _optional_names(self, names: Iterable[str] | str, anchor: str | None) -> list[str]:
        """`names` checked; may be empty only when `anchor` (up_to / from_) is given."""
        if anchor is not None and isinstance(names, tuple | list) and not names:
            return []
        return check.layer_names(self.network, names, "names")

    def _in_order(self, names: Iterable[str]) -> list[str]:
        chosen = set(names)
        return [n for n in self.network.names if n in chosen]


def _new_head(old: nn.Module, count: int, path: str) -> nn.Module:
    """A new final layer whose initial weights depend only on this edit (see seeded_init)."""
    with seeded_init("replace_head", repr(old), path, count):
        if isinstance(old, nn.Linear):
            return nn.Linear(old.in_features, count, bias=old.bias is not None)
        if isinstance(old, nn.Conv2d):
            return nn.Conv2d(old.in_channels, count, kernel_size=1)
    raise edits.EditError(f"cannot replace a final {type(old).__name__} layer")


def _checked_module(kind: Any, values: dict[str, Any], where: str) -> nn.Module:
    try:
        return create_module(kind, values, where)
    except ValueError as error:
        raise edits.EditError(str(error)) from error


def _names_text(layers: Sequence[Any]) -> str:
    if len(layers) == 1:
        return str(layers[0].name)
    return f"{len(layers)} layers"
