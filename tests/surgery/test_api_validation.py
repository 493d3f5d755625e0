"""The Python API refuses wrong names, types and values with one error type and a clear message.

Each case below leaked a networkx/TypeError or passed silently in the fault pass (issue 9 §5).
"""

from __future__ import annotations

import gc
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from designer.core.errors import UserError
from designer.surgery.design import Design, DesignInfo
from designer.surgery.edits import EditError


def _design() -> Design:
    torch.manual_seed(0)
    model = nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 4, 3)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()), ("classifier", nn.Linear(4, 3))]))
    return Design.from_module(model.eval(), DesignInfo(input_size=16))


NAN, INF = float("nan"), float("inf")

CASES: list[tuple[str, Callable[[Design], Any], str]] = [
    ("freeze up_to unknown", lambda d: d.freeze(up_to="layer9"), r"up_to: there is no layer named 'layer9'"),
    ("unfreeze from_ unknown", lambda d: d.unfreeze(from_="clasifier"),
     r"from_: .*did you mean classifier"),
    ("replace_head float", lambda d: d.replace_head(2.5), r"num_classes must be a whole number"),
    ("replace_head one class", lambda d: d.replace_head(1), r"at least 2.*two or more classes"),
    ("replace_head text", lambda d: d.replace_head("10"), r"num_classes must be a whole number"),
    ("duplicate class names", lambda d: d.replace_head(class_names=["cat", "dog", "cat"]),
     r"'cat' appears more than once"),
    ("dropout nan", lambda d: d.replace_head(3, dropout=NAN), r"dropout must be a finite number"),
    ("set_lr_factor without factor", lambda d: d.set_lr_factor("10"), r"factor is missing"),
    ("set_lr_factor text factor", lambda d: d.set_lr_factor("classifier", "10"),
     r"factor must be a number, got '10'"),
    ("set_lr_factor infinite", lambda d: d.set_lr_factor("classifier", INF),
     r"factor must be a finite number"),
    ("set_lr_factor negative", lambda d: d.set_lr_factor(["classifier"], -1), r"at least 0"),
    ("names not text", lambda d: d.set_frozen([3], True), r"names must be a layer name"),
    ("frozen not a bool", lambda d: d.set_frozen("conv", "false"), r"frozen must be True or False"),
    ("Dropout p nan", lambda d: d.insert_layer("relu", "Dropout", p=NAN), r"p must be a finite number"),
    ("Dropout p inf via set_params", lambda d: d.set_params("dropout", p=INF), r"p must be a finite number"),
    ("delete unknown", lambda d: d.delete_layers(["conv", "nope"]), r"no layer named 'nope'"),
    ("insert after unknown", lambda d: d.insert_layer("nope", "ReLU"), r"after: there is no layer"),
    ("unknown kind", lambda d: d.insert_layer("relu", "Banana"), r"unknown layer kind"),
    ("freeze nothing", lambda d: d.freeze([]), r"names is empty"),
    ("load not a state dict", lambda d: d.apply_state_dict([1, 2]), r"state must be a dict"),
]


@pytest.mark.parametrize(("call", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_arguments_raise_edit_error_and_change_nothing(call: Callable[[Design], Any],
                                                           message: str) -> None:
    design = _design()
    assert design.insert_layer("flatten", "Dropout", p=0.1) == "dropout"
    before = (design.network.state(), dict(design.store), design.info, design.history.undo_label)
    with pytest.raises(EditError, match=message) as caught:
        call(design)
    assert isinstance(caught.value, UserError), "one documented base for errors users can fix"
    after = (design.network.state(), dict(design.store), design.info, design.history.undo_label)
    assert after == before


def test_one_string_is_one_layer_name_not_its_characters() -> None:
    design = _design()
    design.set_lr_factor("classifier", 2)
    assert design.lr_factors() == {"classifier.weight": 2.0, "classifier.bias": 2.0}
    design.freeze("conv")
    assert design.frozen_layers() == ["conv"]
    with pytest.raises(EditError, match="at least 2"):
        design.replace_head(class_names="only")  # one name, not four one-letter classes


def test_undo_history_is_bounded_by_the_memory_it_keeps_alive() -> None:
    """Each replaced 20,000-class head stays reachable for undo; the history drops the oldest
    entries once the heads only it holds exceed the budget, and frees their memory."""
    torch.manual_seed(0)
    design = Design.from_module(nn.Sequential(
        nn.Flatten(), nn.Linear(12, 256), nn.ReLU(), nn.Linear(256, 10)).eval(),
                                DesignInfo(input_size=2))
    head_bytes = (256 + 1) * 20_000 * 4
    design.history_budget_bytes = int(2.5 * head_bytes)
    refs = []
    for classes in range(20_000, 20_006):
        design.replace_head(classes)
        refs.append(weakref.ref(design.store["3"]))
        assert design.history_bytes() <= design.history_budget_bytes
    gc.collect()
    alive = [r() is not None for r in refs]
    assert alive[-1] and alive[-2] and alive[-3], "recent heads stay undoable"
    assert not any(alive[:2]), "the oldest heads were dropped from the history and freed"
    assert 2 * head_bytes <= design.history_bytes() <= design.history_budget_bytes
    undone = 0
    while design.undo():
        undone += 1
    assert undone == 2, "only the edits within the budget can be undone"
    assert design.analyze().output_shape == (1, 20_003)
