"""Structured pruning: fewer channels, same classes, a normal design, the original untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from designer.compress.prune import PruneError, prune_design
from designer.surgery.opening import open_model


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small"])
def test_pruning_removes_channels_and_gives_a_normal_design(name: str) -> None:
    design = open_model(name, input_size=32)
    design.replace_head(4, class_names=list("abcd"))
    before = design.analyze().total_params
    result = prune_design(design, 0.3)
    assert design.analyze().total_params == before, "the original design is not changed"
    pruned = result.design
    analysis = pruned.analyze()
    assert not [i for i in analysis.issues if i.severity == "error"]
    assert analysis.output_shape == (1, 4), "the classes are never pruned"
    assert result.params_after < 0.75 * result.params_before  # ~half the params at 30 % channels
    assert result.macs_after < result.macs_before
    assert result.ms_before > 0 and result.ms_after > 0
    assert pruned.info.model_name == f"{name}-pruned30"
    assert pruned.info.class_names == ("a", "b", "c", "d")
    out = pruned.build()(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 4)
    assert analysis.total_params == result.params_after
    pruned.freeze(up_to=next(iter(pruned.network)).name)  # editable like any design


def test_taylor_needs_batches_and_ratio_is_checked() -> None:
    design = open_model("resnet18", input_size=32)
    with pytest.raises(PruneError, match="between 0 and 1"):
        prune_design(design, 1.0)
    with pytest.raises(PruneError, match="training batches"):
        prune_design(design, 0.3, importance="taylor")
    batches = [(torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,)))]
    assert prune_design(design, 0.2, importance="taylor", batches=batches).params_after < \
        design.analyze().total_params


def test_compression_analysis_says_what_can_shrink_and_why() -> None:
    from designer.compress.analysis import analyze_compression

    design = open_model("resnet18", input_size=32)
    report = analyze_compression(design)
    rows = {r.name: r for r in report.layers}
    assert rows["fc"].prunable == "no" and "classes" in rows["fc"].reason
    assert rows["layer1_0_conv1"].prunable == "yes"
    assert rows["layer1_0_conv2"].prunable == "with others"
    assert "residual add" in rows["layer1_0_conv2"].reason
    assert rows["relu"].prunable == "" and rows["relu"].weight_bytes == 0
    assert report.weight_bytes == sum(p.numel() * 4 for p in design.build().parameters())
    assert 0.7 * report.weight_bytes < report.int8_saving_bytes < 0.76 * report.weight_bytes
    assert 0 < report.prunable_weight_bytes < report.weight_bytes
    assert report.activation_bytes > 0 and "INT8 saves up to" in report.summary()


def test_a_pruned_timm_design_saves_and_loads_back(tmp_path: Path) -> None:
    """Lite0's own modules (Conv2dSame, BatchNormAct2d) come back at the pruned channel counts."""
    from designer.compress.analysis import analyze_compression
    from designer.project.design_io import load_design, save_design

    design = open_model("efficientnet_lite0_bundled", "none", input_size=64)
    rows = {r.name: r for r in analyze_compression(design).layers}
    assert rows["classifier"].prunable == "no", "the classifier runs last, whatever the order " \
        "its module was registered in"
    assert rows["blocks_6_0_conv_pwl"].prunable != "no"
    pruned = prune_design(design, 0.3).design
    assert pruned.info.architecture == "efficientnet_lite0_bundled"
    assert pruned.network["conv_stem"].params["out_channels"] < 32
    loaded = load_design(save_design(pruned, tmp_path / "design").parent)
    assert loaded.info.model_name == "efficientnet_lite0_bundled-pruned30"
    x = torch.randn(2, 3, 64, 64)
    assert torch.allclose(loaded.build()(x), pruned.build()(x), atol=1e-5)


def test_a_pruned_design_exports_as_a_script_that_rebuilds_it(tmp_path: Path) -> None:
    """Generate PyTorch script on a pruned torchvision design: the script's network (torchvision's
    resnet18 with the pruned layers written out) gives the pruned design's outputs."""
    from designer.export.codegen import SCRIPT_NAME, WEIGHTS_NAME, import_script, write_script_bundle
    from designer.training import TrainingOptions

    design = open_model("resnet18", input_size=32)
    design.replace_head(4, class_names=list("abcd"))
    pruned = prune_design(design, 0.3).design
    write_script_bundle(tmp_path, pruned, TrainingOptions(epochs=1), None, None, 32)
    network = import_script(tmp_path / SCRIPT_NAME).build_model(tmp_path / WEIGHTS_NAME).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert float((pruned.build()(x) - network(x)).abs().max()) <= 1e-5
