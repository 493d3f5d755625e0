"""Name the file behind a dataset index, and wrap a dataset so load failures say which one failed."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from designer.data.dataset import describe_sample_failure
from designer.data.errors import TransformError
from designer.training.errors import SampleLoadError
from designer.training.failures import is_out_of_memory


def describe_failure(dataset: Any, index: int, error: BaseException) -> str:
    """"Could not load sample #12 (/data/cat/x.jpg): OSError: truncated file" + what to do."""
    return (
        f"Could not load {describe_sample_failure(dataset, index, error)}. "
        "Remove or replace that file (or re-import the data folder) and train again."
    )


class GuardedDataset(Dataset[tuple[torch.Tensor, int]]):
    """Passes items through; a failing item raises :class:`SampleLoadError` naming its file."""

    def __init__(self, dataset: Dataset[Any]) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        try:
            item = self.dataset[index]
        except (SampleLoadError, TransformError, MemoryError):
            raise  # not the file's fault: worded by the loop (settings, memory)
        except Exception as error:
            if is_out_of_memory(error):
                raise
            raise SampleLoadError(describe_failure(self.dataset, index, error)) from error
        return item[0], item[1]


def user_message(error: BaseException) -> str:
    """The useful part of a loading error, also when a DataLoader worker wrapped it in a traceback."""
    text = str(error)
    marker = f"{SampleLoadError.__name__}: "
    if marker in text:
        text = text.rsplit(marker, 1)[1].strip()
    return text


def dataset_labels(dataset: Any) -> list[int] | None:
    """Every sample's label without loading images: ``targets`` (ImageDataset, torchvision
    folders), a TensorDataset's label tensor, through ``Subset``; None when not listed."""
    if isinstance(dataset, Subset):
        inner = dataset_labels(dataset.dataset)
        return None if inner is None else [inner[int(i)] for i in dataset.indices]
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
        return [int(v) for v in dataset.tensors[1].tolist()]
    targets = getattr(dataset, "targets", None)
    if targets is None:
        return None
    return [int(v) for v in targets]
