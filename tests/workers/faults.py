"""Faults to inject into a training run, importable without Qt: the training process unpickles
them from the request, and it must never load PySide6."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from designer.data.dataset import ImageDataset
from designer.project.data_config import PreparedData


class UnreadableAt(ImageDataset):
    """A training set in which some files cannot be read (as a truncated download would be)."""

    def __init__(self, base: ImageDataset, bad: Sequence[int]) -> None:
        super().__init__(base.samples, base.classes, base.transform, base.min_side)
        self.bad = set(bad)

    def __getitem__(self, index: int) -> Any:
        if index in self.bad:
            raise OSError(f"cannot identify image file {self.samples[index].path}")
        return super().__getitem__(index)


def with_unreadable_image(data: PreparedData, index: int = 5) -> PreparedData:
    """``data`` whose training image ``index`` cannot be read."""
    broken = dict(data.datasets, train=UnreadableAt(data.datasets["train"], bad=[index]))
    return PreparedData(data.config, data.scan, data.manifest, data.report, broken)
