"""Grad-CAM: heat maps of the image's size that point at what decides the class."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from designer.evaluation import EvaluationError
from designer.evaluation.gradcam import default_layer, feature_layers, grad_cam
from designer.surgery.design import Design

SIZE = 32


def colour_model() -> nn.Sequential:
    """Class 0 = "there is red", class 1 = "there is blue": a 1x1 conv detects each colour,
    global pooling counts it. Grey shows neither."""
    detect = nn.Conv2d(3, 2, 1)
    with torch.no_grad():
        detect.weight.copy_(torch.tensor([[1.0, -1.0, -1.0], [-1.0, -1.0, 1.0]]).view(2, 3, 1, 1))
        detect.bias.fill_(-0.3)
    head = nn.Linear(2, 2)
    with torch.no_grad():
        head.weight.copy_(torch.eye(2) * 20)
        head.bias.zero_()
    return nn.Sequential(detect, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head)


def scene() -> torch.Tensor:
    """Grey, a big red square in the top-left quadrant, a small blue one in the bottom right."""
    image = torch.full((3, SIZE, SIZE), 0.5)
    image[:, 2:14, 2:14] = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)
    image[:, 22:28, 22:28] = torch.tensor([0.0, 0.0, 1.0]).view(3, 1, 1)
    return image


def share(heat: torch.Tensor, rows: slice, cols: slice) -> float:
    return float(heat[rows, cols].sum() / heat.sum())


@pytest.mark.parametrize("as_design", [False, True])
def test_heat_map_points_at_what_decides_each_class(as_design):
    model = Design.from_module(colour_model()).build() if as_design else colour_model()
    image = scene()
    red = grad_cam(model, image)  # predicted class: the red square is larger
    assert red.target == 0 and red.probabilities.argmax() == 0
    assert red.heatmap.shape == (SIZE, SIZE) and torch.isfinite(red.heatmap).all()
    assert float(red.heatmap.max()) == pytest.approx(1.0)
    assert share(red.heatmap, slice(0, 16), slice(0, 16)) > 0.9  # the red square's quadrant
    blue = grad_cam(model, image, target=1)  # any other class on request
    assert share(blue.heatmap, slice(16, 32), slice(16, 32)) > 0.9
    assert red.layer == blue.layer == default_layer(model, image)


def test_default_layer_is_the_last_feature_map_before_pooling():
    model = Design.from_module(colour_model()).build()
    layers = feature_layers(model, scene())
    assert len(layers) == 2  # the conv and its ReLU; the pooled 1x1 map does not count
    assert default_layer(model, scene()) == layers[-1]
    at_conv = grad_cam(model, scene(), layer=layers[0])
    assert at_conv.layer == layers[0] and at_conv.heatmap.shape == (SIZE, SIZE)


def test_resnet_design_map_has_image_size_and_model_is_untouched():
    from torchvision.models import resnet18

    design = Design.from_module(resnet18(weights=None, num_classes=3))
    model = design.build()
    image = torch.randn(3, 64, 48)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    explanation = grad_cam(model, image, target=2)
    assert explanation.heatmap.shape == (64, 48)
    assert torch.isfinite(explanation.heatmap).all()
    assert explanation.layer.startswith("layer4")  # the last spatial stage
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(name.startswith("_gradcam") for name, _ in model.named_modules())


def test_bad_requests_are_explained():
    model = colour_model()
    with pytest.raises(EvaluationError, match="out of range"):
        grad_cam(model, scene(), target=5)
    with pytest.raises(EvaluationError, match="no layer called"):
        grad_cam(Design.from_module(model).build(), scene(), layer="nope")
    with pytest.raises(EvaluationError, match="one prepared image"):
        grad_cam(model, torch.zeros(2, 3, 8, 8))
    flat = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2))
    with pytest.raises(EvaluationError, match="no layer with a spatial feature map"):
        grad_cam(flat, torch.zeros(3, 8, 8))


def test_colours_and_model_view():
    from designer.evaluation.gradcam import heat_colours, model_view

    heat = torch.linspace(0, 1, 11).view(1, 11)
    rgb = heat_colours(heat)
    assert rgb.shape == (1, 11, 3) and rgb.dtype == torch.uint8
    assert rgb[0, 0, 2] > rgb[0, 0, 0] and rgb[0, -1, 0] > rgb[0, -1, 2]  # blue cold, red hot
    image = torch.rand(3, 5, 7)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    prepared = (image - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    view = model_view(prepared, mean, std)
    assert view.shape == (5, 7, 3)
    assert torch.allclose(view.float() / 255, image.permute(1, 2, 0), atol=1 / 255)
