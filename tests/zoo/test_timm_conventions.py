"""Replacing the head and freezing by stage follow timm's own declarations."""

from __future__ import annotations

import pytest
import timm
import torch

from designer.surgery.edits import EditError
from designer.surgery.opening import from_module, open_model
from designer.zoo.conventions import classifier_paths, stages


def _frozen_targets(design: object) -> set[str]:
    return {ly.target for ly in design.network if ly.frozen and ly.op == "module"}  # type: ignore[attr-defined]


def test_head_and_stages_come_from_timm() -> None:
    design = open_model("test_convnext.r160_in1k", "none", input_size=64)
    assert design.info.head == ("head.fc",)  # pretrained_cfg["classifier"]
    assert [path for _label, path in design.info.stages] == [
        "stages.0", "stages.1", "stages.2", "stages.3"]  # feature_info
    name = design.replace_head(3)
    assert design.network[name].target == "head.fc"
    with torch.no_grad():
        assert design.build()(torch.randn(1, 3, 64, 64)).shape == (1, 3)


def test_freeze_up_to_a_stage() -> None:
    design = open_model("test_convnext.r160_in1k", "none", input_size=64)
    design.freeze_stage(2)
    frozen = _frozen_targets(design)
    assert any(t.startswith("stages.1.") for t in frozen)
    assert any(t.startswith("stem") for t in frozen)
    assert not any(t.startswith(("stages.2", "stages.3", "head")) for t in frozen)
    assert design.undo() and not _frozen_targets(design)  # one undoable edit
    with pytest.raises(EditError, match="stage from 1 to 4"):
        design.freeze_stage(5)


def test_distilled_model_replaces_both_heads() -> None:
    model = timm.create_model("deit_tiny_distilled_patch16_224", pretrained=False, depth=1,
                              img_size=32).eval()
    assert classifier_paths(model) == ("head", "head_dist")
    design = from_module(model, input_size=32)
    design.replace_head(5)
    built = design.build()
    assert built.get_submodule("head").out_features == 5
    assert built.get_submodule("head_dist").out_features == 5
    with torch.no_grad():
        assert built(torch.randn(1, 3, 32, 32)).shape == (1, 5)
    design.freeze_backbone()
    frozen = _frozen_targets(design)
    assert "blocks.0.attn.qkv" in frozen and not {"head", "head_dist"} & frozen


def test_backbone_only_weights_get_a_head_to_replace() -> None:
    design = open_model("convnextv2_atto.fcmae", "none", input_size=64)
    assert design.info.head == ("head.fc",)
    design.replace_head(4)
    with torch.no_grad():
        assert design.build()(torch.randn(1, 3, 64, 64)).shape == (1, 4)


def test_models_without_declarations_keep_the_old_rules() -> None:
    import torchvision

    model = torchvision.models.resnet18()
    assert classifier_paths(model) == () and stages(model) == ()
    design = from_module(model, input_size=64)
    assert design.info.head == ()
    assert design.network[design.replace_head(2)].target == "fc"
    with pytest.raises(EditError, match="declares no stages"):
        design.freeze_stage(1)
