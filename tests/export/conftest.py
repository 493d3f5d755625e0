"""Models the export tests share: a tiny fx-traced CNN and an fx-traced mobilenet_v3_small."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import Tensor, fx, nn


class TinyNet(nn.Module):
    """Conv + BN + a residual add + a 3-class head: the shapes of a real classifier, in 16 px."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        x = torch.relu(x + self.block(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def randomise_batchnorm(model: nn.Module, seed: int = 0) -> None:
    """Fresh BN layers are identities in eval mode; give them statistics so the check sees them."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert module.running_mean is not None
            assert module.running_var is not None
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)


def make_tiny() -> fx.GraphModule:
    torch.manual_seed(0)
    model = TinyNet()
    randomise_batchnorm(model)
    return fx.symbolic_trace(model)


def make_mobilenet() -> fx.GraphModule:
    """mobilenet_v3_small (random weights, never downloaded) with its head replaced by 5 classes."""
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v3_small(weights=None)
    head = model.classifier[3]
    assert isinstance(head, nn.Linear)
    model.classifier[3] = nn.Linear(head.in_features, 5)
    randomise_batchnorm(model)
    return fx.symbolic_trace(model)


@pytest.fixture
def tiny() -> fx.GraphModule:
    return make_tiny()


@pytest.fixture(scope="module")
def mobilenet() -> fx.GraphModule:
    return make_mobilenet()


@pytest.fixture
def tiny_input() -> Tensor:
    return torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))


def make_lite0_after_surgery() -> nn.Module:
    """The bundled model's architecture (timm tf_efficientnet_lite0, random weights, no download)
    after typical surgery: a new 5-class head behind an inserted Dropout."""
    import timm

    torch.manual_seed(0)
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    head = model.classifier
    assert isinstance(head, nn.Linear)
    in_features = head.in_features
    model.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(in_features, 5))
    randomise_batchnorm(model)
    return model


@pytest.fixture(scope="module")
def lite0() -> nn.Module:
    return make_lite0_after_surgery()
