"""Editing real torchvision models: head replacement, freezing, insert/delete, undo."""

from __future__ import annotations

import pytest
import torch
import torchvision

from designer.surgery.design import Design, DesignInfo
from designer.surgery.edits import EditError


@pytest.fixture(scope="module")
def resnet18() -> torch.nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet18().eval()


def _design(model: torch.nn.Module) -> Design:
    return Design.from_module(model, DesignInfo(input_size=64))


def test_import_does_not_share_state_with_the_source(resnet18: torch.nn.Module) -> None:
    design = _design(resnet18)
    design.freeze(up_to="layer1_0_conv1")
    model = design.build()
    assert not model.get_submodule("conv1").weight.requires_grad
    assert resnet18.conv1.weight.requires_grad, "the caller's module must not be frozen"
    assert model.conv1.weight is not resnet18.conv1.weight


def test_replace_head_keeps_every_other_tensor_and_undo_restores(resnet18: torch.nn.Module) -> None:
    design = _design(resnet18)
    before = {k: v.clone() for k, v in design.state_dict().items()}
    design.replace_head(5, class_names=list("abcde"), dropout=0.2)
    model = design.build()
    assert model(torch.randn(2, 3, 64, 64)).shape == (2, 5)
    assert design.analyze().output_shape == (1, 5)
    after = design.state_dict()
    changed = {k for k in before if k not in after or not torch.equal(before[k], after[k])}
    assert changed == {"fc.weight", "fc.bias"}
    assert any(layer.kind == "Dropout" for layer in design.network)
    assert design.info.class_names == tuple("abcde")
    assert design.undo()
    restored = design.state_dict()
    assert restored.keys() == before.keys()
    assert all(torch.equal(restored[k], before[k]) for k in before)
    assert design.analyze().output_shape == (1, 1000)
    assert not any(layer.kind == "Dropout" for layer in design.network)


def test_freeze_up_to_sets_requires_grad_exactly_upstream(resnet18: torch.nn.Module) -> None:
    design = _design(resnet18)
    design.freeze(up_to="layer3_1_relu_1")
    model = design.build()
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert "conv1.weight" in frozen and "layer3.1.bn2.weight" in frozen
    assert "layer4.0.conv1.weight" not in frozen and "fc.weight" not in frozen
    analysis = design.analyze()
    layer4_and_fc = sum(p.numel() for n, p in model.named_parameters()
                        if n.startswith(("layer4", "fc")))
    assert analysis.trainable_params == layer4_and_fc
    design.unfreeze(from_="layer2_0_conv1")
    assert design.build().get_submodule("layer3.0.conv1").weight.requires_grad
    assert not design.build().get_submodule("layer1.0.conv1").weight.requires_grad


def test_shape_breaking_delete_is_an_issue_on_the_layer_not_an_exception(
        resnet18: torch.nn.Module) -> None:
    design = _design(resnet18)
    design.delete_layer("layer2_0_conv1")
    analysis = design.analyze()
    assert not analysis.ok
    issue = analysis.issues_for("layer2_0_bn1")
    assert issue and "layer2_0_bn1" in issue[0].message
    assert analysis.layers["fc"].error.startswith("not computed")
    design.undo()
    assert design.analyze().ok


@pytest.mark.parametrize(("after", "kind", "size"), [("flatten", "Linear", "out_features"),
                                                     ("layer4_1_relu_1", "Conv2d", "out_channels")])
def test_inserted_layer_takes_its_sizes_from_its_neighbours(resnet18: torch.nn.Module,
                                                            after: str, kind: str,
                                                            size: str) -> None:
    design = _design(resnet18)
    name = design.insert_layer(after, kind)
    params = design.network[name].params
    assert params[size] == params[size.replace("out", "in")] == 512, "out matches what comes in"
    analysis = design.analyze()
    assert analysis.ok, [i.message for i in analysis.issues]
    assert analysis.output_shape == (1, 1000), "the next layer still fits"


def test_insert_infers_shape_and_invalid_parameters_are_refused(resnet18: torch.nn.Module) -> None:
    design = _design(resnet18)
    name = design.insert_layer("flatten", "Linear", out_features=256)
    assert design.network[name].params["in_features"] == 512
    analysis = design.analyze()
    issue = next(i for i in analysis.issues if i.layer == "fc")
    assert "fc expects 512 inputs, but linear gives 256" in issue.message, "plain words, both layers"
    assert "Set fc's in_features to 256" in issue.message, "and the fix"
    assert "mat1" not in issue.message and "shapes cannot be multiplied" not in issue.message
    design.set_params("fc", in_features=256)
    assert design.analyze().ok and design.analyze().output_shape == (1, 1000)
    with pytest.raises(EditError, match="out_features must be at least 1"):
        design.set_params("fc", out_features=0)
    assert design.network["fc"].params["out_features"] == 1000
    with pytest.raises(EditError, match="unknown layer kind"):
        design.insert_layer("fc", "Banana")


def test_lr_factors_name_the_parameters(resnet18: torch.nn.Module) -> None:
    design = _design(resnet18)
    design.set_lr_factor(["fc"], 10)
    assert design.lr_factors() == {"fc.weight": 10.0, "fc.bias": 10.0}
    with pytest.raises(EditError):
        design.set_lr_factor(["fc"], -1)


def test_built_model_trains_like_the_original(resnet18: torch.nn.Module) -> None:
    """BatchNorm running stats update in train mode, and stochastic layers stay stochastic."""
    design = _design(resnet18)
    model = design.build().train()
    before = model.get_submodule("bn1").running_mean.clone()
    model(torch.randn(4, 3, 64, 64))
    assert not torch.equal(before, model.get_submodule("bn1").running_mean)
    effnet = Design.from_module(torchvision.models.efficientnet_b0().eval(),
                                DesignInfo(input_size=64)).build().train()
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(1)
    first = effnet(x)
    torch.manual_seed(2)
    assert not torch.allclose(first, effnet(x)), "stochastic depth must be active in training"


def test_analysis_never_touches_the_design_tensors(resnet18: torch.nn.Module) -> None:
    """Analysis runs in the background while the user trains: it must work on a copy."""
    import threading

    design = _design(resnet18)
    before = {k: (v.data_ptr(), v.device.type) for k, v in design.state_dict().items()}
    errors: list[BaseException] = []

    def build_repeatedly() -> None:
        try:
            for _ in range(20):
                design.build()(torch.randn(1, 3, 32, 32))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=build_repeatedly)
    thread.start()
    for _ in range(10):
        design._invalidate()
        design.analyze()
    thread.join()
    assert errors == []
    assert {k: (v.data_ptr(), v.device.type) for k, v in design.state_dict().items()} == before


def test_module_calls_stay_visible_even_when_they_return_tuples() -> None:
    design = Design.from_module(torchvision.models.vit_b_16().eval(), DesignInfo(input_size=224))
    attention = [ly for ly in design.network if ly.kind == "MultiheadAttention"]
    assert attention and not any(ly.plumbing for ly in attention)
