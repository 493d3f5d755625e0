"""predict(): top-k labels with probabilities for files, PIL images and tensors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.transforms import v2

from designer.evaluation import EvaluationError, predict, predict_each

CLASSES = ["red", "green", "blue"]
TRANSFORM = v2.Compose([v2.PILToTensor(), v2.Resize((8, 8)), v2.ToDtype(torch.float32, scale=True)])


class _ColourModel(nn.Module):
    """Scores each class by the mean of its colour channel: a model whose answer we know."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3)) * self.scale


def test_files_pil_and_tensors(tmp_path):
    red = tmp_path / "red.png"
    Image.new("RGB", (20, 12), (250, 10, 10)).save(red)
    transparent = tmp_path / "clear.png"  # fully transparent -> composited on white
    Image.new("RGBA", (16, 16), (0, 0, 255, 0)).save(transparent)
    green = Image.new("RGB", (9, 9), (0, 200, 0))
    blue = torch.zeros(3, 8, 8)
    blue[2] = 1.0
    out = predict(_ColourModel(), [red, green, blue, transparent], TRANSFORM, CLASSES, k=2)
    assert [row[0][0] for row in out[:3]] == ["red", "green", "blue"]
    assert all(len(row) == 2 and row[0][1] >= row[1][1] for row in out)
    assert out[3][0][1] == pytest.approx(1 / 3, abs=1e-3)  # white: all channels equal
    assert all(0 < p <= 1 for row in out for _, p in row)


def test_k_is_clamped_and_unreadable_file_named(tmp_path):
    blue = torch.zeros(3, 8, 8)
    assert len(predict(_ColourModel(), [blue], TRANSFORM, CLASSES, k=10)[0]) == 3
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(EvaluationError, match=r"broken\.jpg"):
        predict(_ColourModel(), [bad], TRANSFORM, CLASSES)


def test_wrong_class_list_is_explained():
    with pytest.raises(EvaluationError, match="2 class names"):
        predict(_ColourModel(), [torch.zeros(3, 8, 8)], TRANSFORM, ["a", "b"])


def test_one_bad_file_fails_alone(tmp_path):
    red = tmp_path / "red.png"
    Image.new("RGB", (20, 12), (250, 10, 10)).save(red)
    cut = tmp_path / "cut.jpg"
    full = tmp_path / "full.jpg"
    Image.new("RGB", (64, 64), (0, 0, 240)).save(full, quality=90)
    cut.write_bytes(full.read_bytes()[:200])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    out = predict_each(_ColourModel(), [cut, red, empty, full], TRANSFORM, CLASSES, k=1,
                       batch_size=2)
    assert [(Path(r.source).name, r.ok) for r in out] == [
        ("cut.jpg", False), ("red.png", True), ("empty.png", False), ("full.jpg", True)]
    assert out[1].top[0][0] == "red" and out[3].top[0][0] == "blue"
    assert "truncated" in (out[0].error or "") and "empty" in (out[2].error or "")
