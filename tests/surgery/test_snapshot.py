"""`Design.snapshot()` is a value: later edits, undo and redo do not change what it builds."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from designer.surgery.opening import open_model


def test_a_snapshot_keeps_building_the_design_as_it_was() -> None:
    design = open_model("resnet18", "none", input_size=32)
    design.replace_head(4)
    design.set_lr_factor(["fc"], 3.0)
    design.freeze_backbone()
    snap = design.snapshot()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        before = snap.build()(x)
    design.replace_head(9)
    design.unfreeze(from_="conv1")
    design.set_lr_factor(["layer4_1_conv2"], 0.5)
    design.undo()
    with torch.no_grad():
        assert torch.equal(snap.build()(x), before)
        assert design.build()(x).shape == (2, 9)
    assert snap.num_classes == 4 and design.num_classes == 9
    assert set(snap.lr_factors()) == {"fc.weight", "fc.bias"}
    frozen = [n for n, p in snap.build().named_parameters() if not p.requires_grad]
    assert "conv1.weight" in frozen and "fc.weight" not in frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.info = design.info  # type: ignore[misc]
    with pytest.raises(TypeError):
        snap.store["fc"] = torch.nn.Linear(1, 1)  # type: ignore[index]


def test_a_snapshot_analyses_itself_without_touching_the_design() -> None:
    design = open_model("resnet18", "none", input_size=32)
    design.replace_head(4)
    assert design.snapshot().analysis is None  # the edit's analysis has not run yet
    design.analyze()
    analysed = design.snapshot()
    assert analysed.analysis is not None  # taken with the snapshot
    snap = dataclasses.replace(analysed, analysis=None)
    design.replace_head(6)
    assert snap.analyze().output_shape == (1, 4)  # computed on the snapshot's own state
    assert design.snapshot().analysis is None, "the live design's cache was not filled"
    assert design.num_classes == 6
