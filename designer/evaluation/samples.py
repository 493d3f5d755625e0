"""File names behind dataset indices, and a dataset wrapper whose failures name the file.

(The training engine has the same helper; evaluation and training are independent layers.)
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset, Subset

from designer.evaluation.errors import EvaluationError


def sample_path(dataset: Any, index: int) -> str | None:
    """``dataset.samples[index].path`` (or ImageFolder's ``(path, class)``), through Subsets."""
    while isinstance(dataset, Subset):
        index = int(dataset.indices[index])
        dataset = dataset.dataset
    samples = getattr(dataset, "samples", None)
    if samples is None:
        return None
    try:
        item = samples[index]
    except (IndexError, KeyError, TypeError):
        return None
    path = getattr(item, "path", None)
    if path is None and isinstance(item, tuple | list) and item:
        path = item[0]
    return None if path is None else str(path)


class LoadError(EvaluationError):
    """A sample failed to load (single-argument so DataLoader workers can re-raise it)."""


class GuardedDataset(Dataset[tuple[torch.Tensor, int]]):
    def __init__(self, dataset: Dataset[Any]) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        try:
            item = self.dataset[index]
        except Exception as error:
            path, text = sample_path(self.dataset, index), str(error)
            if path and path in text:  # the data package's errors already name the file
                what = f"sample #{index}: {text}"
            else:
                where = f"sample #{index}" + (f" ({path})" if path else "")
                what = f"{where}: {type(error).__name__}: {text}"
            raise LoadError(
                f"Could not load {what}. Remove or replace that file and evaluate again."
            ) from error
        return item[0], item[1]


def clean_message(error: BaseException) -> str:
    """Strip the worker traceback PyTorch prepends to exceptions re-raised from workers."""
    text = str(error)
    marker = f"{LoadError.__name__}: "
    return text.rsplit(marker, 1)[1].strip() if marker in text else text
