"""Test-time augmentation: averaged probabilities over flipped or cropped views."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from designer.evaluation import EvaluationError, evaluate, predict_each
from designer.evaluation.tta import check_tta, probabilities, views


class MirrorSymmetric(nn.Module):
    """g(x) + g(mirror of x): the same scores for an image and its mirror image."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.g = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.g(x) + self.g(x.flip(-1))


def test_flip_tta_of_a_mirror_symmetric_model_equals_the_plain_prediction():
    model = MirrorSymmetric().eval()
    images = [torch.rand(3, 16, 16) for _ in range(4)]
    with torch.no_grad():
        model(images[0].unsqueeze(0))  # materialise the lazy layer
    plain = predict_each(model, images, lambda i: i, ["a", "b", "c"], k=3)
    flipped = predict_each(model, images, lambda i: i, ["a", "b", "c"], k=3, tta="flip")
    for p, f in zip(plain, flipped, strict=True):
        assert [c for c, _ in p.top] == [c for c, _ in f.top]
        assert [s for _, s in p.top] == pytest.approx([s for _, s in f.top], abs=1e-6)
    # ...while crops do change the answer, and it is still a distribution
    crops = probabilities(model, torch.stack(images), tta="crops")
    assert not torch.allclose(crops, probabilities(model, torch.stack(images)), atol=1e-4)
    assert torch.allclose(crops.sum(1), torch.ones(4))


def test_views_and_choices():
    batch = torch.rand(2, 3, 16, 12)
    assert len(views(batch, None)) == 1
    flip = views(batch, "flip")
    assert torch.equal(flip[1][..., 0], batch[..., -1])
    crops = views(batch, "crops")
    assert len(crops) == 6 and all(v.shape == batch.shape for v in crops)
    assert check_tta("none") is None and check_tta("crops") == "crops"
    with pytest.raises(EvaluationError, match="flip or crops"):
        check_tta("rotate")


def test_evaluate_with_tta_runs_end_to_end():
    model = MirrorSymmetric().eval()
    data = TensorDataset(torch.rand(10, 3, 16, 16), torch.randint(0, 3, (10,)))
    with torch.no_grad():
        model(data[0][0].unsqueeze(0))
    plain = evaluate(model, data, batch_size=4, device="cpu")
    flip = evaluate(model, data, batch_size=4, device="cpu", tta="flip")
    crops = evaluate(model, data, batch_size=4, device="cpu", tta="crops")
    assert flip.accuracy == plain.accuracy and flip.loss == pytest.approx(plain.loss, abs=1e-5)
    assert len(crops.predictions) == 10 and 0.0 <= crops.accuracy <= 1.0
