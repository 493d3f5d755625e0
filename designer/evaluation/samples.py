"""Load evaluation samples so that one bad file is skipped and named, never the end of the run."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset, default_collate

from designer.data.dataset import sample_path
from designer.data.errors import SampleError
from designer.evaluation.result import SkippedSample

#: What one loader item is: (image, label, dataset index), or the record of a skipped sample.
Item = tuple[torch.Tensor, int, int] | SkippedSample


class GuardedDataset(Dataset[Item]):
    """Returns each item with its index, or a :class:`SkippedSample` saying why it failed."""

    def __init__(self, dataset: Dataset[Any]) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> Item:
        try:
            item = self.dataset[index]
        except Exception as error:  # noqa: BLE001 - any failure of one sample skips that sample
            return SkippedSample(index, sample_path(self.dataset, index), failure_reason(error))
        return item[0], item[1], index


def failure_reason(error: BaseException) -> str:
    """The part of a load error a user can act on (the path is listed beside it)."""
    if isinstance(error, SampleError):
        return error.reason
    return f"{type(error).__name__}: {error}"


def collate(batch: list[Item]) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor,
                                        list[SkippedSample]]:
    """(images, labels, indices) of the good items, plus the skipped ones (picklable: workers)."""
    skipped = [b for b in batch if isinstance(b, SkippedSample)]
    good = [b for b in batch if not isinstance(b, SkippedSample)]
    if not good:
        empty = torch.empty(0, dtype=torch.long)
        return None, empty, empty, skipped
    images, labels, indices = default_collate(good)
    return images, torch.as_tensor(labels).long(), torch.as_tensor(indices).long(), skipped
