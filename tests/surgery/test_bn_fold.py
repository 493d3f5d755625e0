"""Folding BatchNorm into convolutions: same outputs, no BatchNorm pass left, nothing unsafe."""

from __future__ import annotations

import pytest
import torch
from timm.layers import BatchNormAct2d, Conv2dSame
from torch import nn

from designer.surgery.bn_fold import fold_batchnorm
from designer.zoo.bundled import LITE0
from designer.zoo.registry import create_model


def _with_statistics(module: nn.Module, seed: int) -> nn.Module:
    """BatchNorms with running statistics and affine weights far from the identity."""
    generator = torch.Generator().manual_seed(seed)
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm2d):
            shape = bn.running_mean.shape  # type: ignore[union-attr]
            bn.running_mean = torch.randn(shape, generator=generator)
            bn.running_var = torch.rand(shape, generator=generator) * 3 + 0.1
            bn.weight.data = torch.randn(shape, generator=generator)
            bn.bias.data = torch.randn(shape, generator=generator)
    return module.eval()


class _Residual(nn.Module):
    """The conv's output feeds its BatchNorm and, unnormalised, the sum after it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return self.bn(y) + y


def _norms(module: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in module.modules())


def test_conv_and_timm_conv_same_with_batchnorm_act_fold_to_the_same_outputs() -> None:
    model = _with_statistics(nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=True), nn.BatchNorm2d(8), nn.ReLU(),
        Conv2dSame(8, 16, 3, stride=2, groups=8, bias=False),
        BatchNormAct2d(16, act_layer=nn.ReLU6),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5)), seed=0)
    unseen = torch.randn(4, 3, 20, 20, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = model(unseen)
    assert fold_batchnorm(model, torch.randn(1, 3, 16, 16)) == 2
    assert _norms(model) == 0, "no BatchNorm pass is left"
    assert isinstance(model[3], Conv2dSame), "the 'same' padding is kept"
    with torch.no_grad():
        after = model(unseen)  # another batch and size than the example
    assert torch.allclose(after, before, rtol=1e-4, atol=1e-5)
    assert isinstance(model[4][1], nn.ReLU6), "BatchNormAct2d's activation still runs"


def test_a_conv_output_used_elsewhere_is_not_folded() -> None:
    model = _with_statistics(_Residual(), seed=2)
    x = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        before = model(x)
        assert fold_batchnorm(model, x) == 0
        assert torch.equal(model(x), before)
    assert isinstance(model.bn, nn.BatchNorm2d), "the model is left as it was"


def test_a_model_in_training_mode_is_refused() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    with pytest.raises(ValueError, match="eval-mode"):
        fold_batchnorm(model, torch.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match="non-empty"):
        fold_batchnorm(model.eval(), torch.randn(0, 3, 8, 8))


def test_lite0_folds_every_batchnorm_and_predicts_the_same() -> None:
    model = create_model(LITE0, "pretrained")
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        before = model(x)
    assert fold_batchnorm(model, x[:1]) == 49
    assert _norms(model) == 0
    with torch.no_grad():
        after = model(x)
    assert torch.equal(after.argmax(1), before.argmax(1))
    assert float((after - before).abs().max()) <= 1e-4 * float(before.abs().max())
