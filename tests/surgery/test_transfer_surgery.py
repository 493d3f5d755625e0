"""The issue's must-show: head replacement + freezing on five real architectures."""

from __future__ import annotations

import json

import pytest
import torch

from designer.cli import main
from designer.surgery.design import Design
from designer.surgery.opening import open_model

CASES = {
    "resnet18": ("layer3_1_relu_1", 64),
    "mobilenet_v3_small": ("features_8_block_3_1", 64),
    "efficientnet_b0": ("features_5_2_block_3_1", 64),
    "vit_b_16": ("encoder_layers_encoder_layer_6_mlp_4", 224),
    "efficientnet_lite0_bundled": ("blocks_4_2_bn3", 96),
}


def _open(name: str, size: int) -> Design:
    weights = "bundled" if name.endswith("_bundled") else "none"
    return open_model(name, weights, input_size=size)  # smaller inputs keep CI fast


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_replace_head_and_freeze(name: str) -> None:
    freeze_point, size = CASES[name]
    design = _open(name, size)
    assert freeze_point in design.network, f"{freeze_point} not in {name}"
    before = {k: v.clone() for k, v in design.state_dict().items()}
    head = design.replace_head(5)
    design.freeze(up_to=freeze_point)
    model = design.build()
    with torch.no_grad():
        assert model(torch.randn(2, 3, size, size)).shape == (2, 5)
    head_target = design.network[head].target
    after = design.state_dict()
    untouched = [k for k in before if not k.startswith(head_target + ".")]
    assert all(torch.equal(before[k], after[k]) for k in untouched)
    upstream = design.network.upstream(freeze_point) | {freeze_point}
    frozen_targets = {ly.target for ly in design.network if ly.name in upstream
                      and ly.op in ("module", "constant")}
    for pname, param in model.named_parameters():
        owner = next((t for t in frozen_targets if pname == t or pname.startswith(t + ".")), None)
        assert param.requires_grad == (owner is None), pname
    design.undo()
    design.undo()
    restored = design.state_dict()
    assert restored.keys() == before.keys()
    assert all(torch.equal(restored[k], before[k]) for k in before)
    assert all(not ly.frozen for ly in design.network)


def test_inspect_cli_reports_layers_and_issues(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "squeezenet1_1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["output_shape"] == [1, 1000]
    assert any(row["kind"] == "Conv2d" for row in data["layers"])
    assert data["issues"] == []
    assert main(["inspect", "no_such_model"]) == 1
    assert "Unknown model" in capsys.readouterr().err
