"""A dataset wrapper whose failures name the file (the naming lives in designer.data)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

from designer.data.dataset import describe_sample_failure
from designer.evaluation.errors import EvaluationError


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
            what = describe_sample_failure(self.dataset, index, error)
            raise LoadError(
                f"Could not load {what}. Remove or replace that file and evaluate again."
            ) from error
        return item[0], item[1]


def clean_message(error: BaseException) -> str:
    """Strip the worker traceback PyTorch prepends to exceptions re-raised from workers."""
    text = str(error)
    marker = f"{LoadError.__name__}: "
    return text.rsplit(marker, 1)[1].strip() if marker in text else text
