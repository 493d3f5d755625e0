"""Tiny models and data for the training tests: a 2-conv CNN traced with torch.fx, 16 px images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import fx, nn
from torch.utils.data import Dataset, TensorDataset

from designer.training.options import TrainingOptions


class TinyCnn(nn.Module):
    """conv-bn-relu, residual conv, pool, dropout, linear head (``fc``)."""

    def __init__(self, classes: int = 3, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = y + torch.relu(self.conv2(y))
        y = torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1)
        return self.fc(self.drop(y))


def make_model(*, frozen_backbone: bool = False, dropout: float = 0.0, seed: int = 0) -> fx.GraphModule:
    """A traced TinyCnn; with ``frozen_backbone`` only ``fc`` trains (as the designer would set)."""
    torch.manual_seed(seed)
    gm = fx.symbolic_trace(TinyCnn(dropout=dropout))
    if frozen_backbone:
        for name, param in gm.named_parameters():
            param.requires_grad_(name.startswith("fc."))
    return gm


def make_data(n: int = 48, seed: int = 0, size: int = 16) -> TensorDataset:
    """Three learnable classes: class 0 is red-ish, class 1 green-ish, class 2 neither."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    images = torch.randn(n, 3, size, size, generator=generator) * 0.5
    images[:, 0] += (labels == 0).float()[:, None, None] * 1.5
    images[:, 1] += (labels == 1).float()[:, None, None] * 1.5
    return TensorDataset(images, labels)


@dataclass
class Sample:
    path: Path


class FileDataset(Dataset[tuple[torch.Tensor, int]]):
    """Looks like designer.data's ImageDataset: ``.samples[i].path``; one index can be broken."""

    def __init__(
        self, root: Path, n: int = 24, broken: int | None = None, names_file: bool = False
    ) -> None:
        self.inner = make_data(n)
        self.samples = [Sample(root / f"img_{i:03d}.png") for i in range(n)]
        self.classes = ["red", "green", "grey"]
        self.broken = broken
        self.names_file = names_file

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if index == self.broken and self.names_file:
            raise OSError(f"cannot load image {self.samples[index].path}: empty file (0 bytes)")
        if index == self.broken:
            raise OSError("image file is truncated")
        image, label = self.inner[index]
        return image, int(label)


@pytest.fixture
def options() -> Callable[..., TrainingOptions]:
    """Small, fast, fp32 options; override any field by keyword."""

    def build(**changes: object) -> TrainingOptions:
        base = TrainingOptions(epochs=2, batch_size=8, lr=1e-2, mixed_precision="off",
                               num_workers=0, device="cpu")
        return base.replace(**changes)

    return build


@pytest.fixture
def tiny_model() -> Callable[..., fx.GraphModule]:
    return make_model


@pytest.fixture
def tiny_data() -> Callable[..., TensorDataset]:
    return make_data


@pytest.fixture
def file_dataset(tmp_path: Path) -> Callable[..., FileDataset]:
    def build(n: int = 24, broken: int | None = None, names_file: bool = False) -> FileDataset:
        return FileDataset(tmp_path / "images", n, broken, names_file)

    return build
