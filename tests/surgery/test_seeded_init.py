"""New layers get their initial weights from the edit, not from torch's global random state."""

from __future__ import annotations

import torch

from designer.surgery.opening import open_model


def _head_after_edits(global_seed: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(global_seed)  # whatever the process did before must not matter
    design = open_model("resnet18", "none", input_size=32)
    design.replace_head(3)
    design.insert_layer("flatten", "Linear", out_features=64)
    state = design.state_dict()
    return {k: v for k, v in state.items() if k.startswith(("fc", "linear", "conv1"))}


def test_the_same_edits_give_the_same_weights_whatever_the_global_rng() -> None:
    first, second = _head_after_edits(1), _head_after_edits(12345)
    assert first.keys() == second.keys() and len(first) >= 4
    for name in first:
        assert torch.equal(first[name], second[name]), name


def test_edits_leave_the_global_rng_alone_and_undo_redo_is_exact() -> None:
    design = open_model("resnet18", "none", input_size=32)
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    design.replace_head(5)
    assert torch.equal(torch.rand(3), expected)  # the edit drew nothing from the global RNG
    head = design.state_dict()["fc.weight"].clone()
    assert design.undo() and design.state_dict()["fc.weight"].shape[0] == 1000
    assert design.redo() and torch.equal(design.state_dict()["fc.weight"], head)


def test_two_new_layers_of_the_same_kind_do_not_share_initial_weights() -> None:
    design = open_model("resnet18", "none", input_size=32)
    first = design.insert_layer("flatten", "Linear", out_features=512)
    second = design.insert_layer(first, "Linear", out_features=512)
    state = design.state_dict()
    a = state[f"{design.network[first].target}.weight"]
    b = state[f"{design.network[second].target}.weight"]
    assert a.shape == b.shape and not torch.equal(a, b)
