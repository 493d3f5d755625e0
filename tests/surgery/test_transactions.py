"""One user gesture is one edit: one undo entry, one change event, all or nothing."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from designer.core.network import Network
from designer.surgery.design import Design, DesignInfo
from designer.surgery.edits import EditError


def _small() -> Design:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 3))
    return Design.from_module(model.eval(), DesignInfo(input_size=16))


def _events(network: Network) -> list[object]:
    seen: list[object] = []
    network.changed.connect(seen.append)
    return seen


def _state(design: Design) -> tuple[object, ...]:
    return (design.network.state(), dict(design.store), design.info)


def test_deleting_three_selected_layers_is_one_undo_entry_and_undo_restores_all() -> None:
    design = _small()
    before = design.network.names
    seen = _events(design.network)
    design.delete_layers(["_1", "_2", "_3"])
    assert not {"_1", "_2", "_3"} & set(design.network.names)
    assert len(seen) == 1, "one gesture must re-analyse and redraw once"
    assert design.history.undo_label == "Delete 3 layers"
    assert design.undo()
    assert design.network.names == before
    assert not design.history.can_undo, "the three deletes were a single entry"
    assert design.redo() and not {"_1", "_2", "_3"} & set(design.network.names)


def test_an_edit_that_fails_halfway_leaves_the_design_identical_and_silent() -> None:
    design = _small()
    design.freeze(["_0"])
    state, label = _state(design), design.history.undo_label
    seen = _events(design.network)
    with pytest.raises(EditError, match="output cannot be deleted"):
        design.delete_layers(["_1", "_2", "output"])  # two deletes succeed, the third fails
    assert _state(design)[0] == state[0]
    assert _state(design)[1] == state[1] and _state(design)[2] == state[2]
    assert seen == [], "views must not see the intermediate states"
    assert design.history.undo_label == label
    assert design.analyze().output_shape == (1, 3)


def test_transaction_groups_several_public_edits_and_rolls_back_on_error() -> None:
    design = _small()
    seen = _events(design.network)
    with design.transaction("Prepare for fine-tuning"):
        design.freeze(["_0"])
        design.set_lr_factor(["_8"], 10)
        design.replace_head(5)
    assert len(seen) == 1 and design.history.undo_label == "Prepare for fine-tuning"
    assert design.analyze().output_shape == (1, 5)
    design.undo()
    assert not design.network["_0"].frozen and design.analyze().output_shape == (1, 3)
    assert not design.history.can_undo
    state = _state(design)

    def broken() -> None:
        with design.transaction("Broken"):
            design.replace_head(7)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        broken()
    assert _state(design)[0] == state[0] and _state(design)[1] == state[1]
    assert design.analyze().output_shape == (1, 3)


def test_replace_head_with_dropout_emits_one_change_event() -> None:
    torch.manual_seed(0)
    design = Design.from_module(torchvision.models.resnet18().eval(), DesignInfo(input_size=64))
    seen = _events(design.network)
    design.replace_head(4, dropout=0.3)
    assert seen == [None], "replacing the head is one structural change"
    assert any(layer.kind == "Dropout" for layer in design.network)
    assert design.analyze().output_shape == (1, 4)
    design.undo()
    assert len(seen) == 2 and design.analyze().output_shape == (1, 1000)
