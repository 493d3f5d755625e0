"""Batches per epoch, from image datasets (a DataLoader) or from cached feature tensors.

Both sources draw the same batch order from ``(seed, epoch)``, so a run is reproducible, can
resume mid-epoch by skipping batches, and gives the same batches with or without the cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from designer.data.dataset import ignore_interrupts
from designer.training.ddp import shard
from designer.training.recipe import epoch_order, mix_seed
from designer.training.samples import GuardedDataset

__all__ = ["BatchSource", "LoaderSource", "TensorSource", "epoch_order", "mix_seed"]

Batch = tuple[tuple[torch.Tensor, ...], torch.Tensor]


def _batch_count(n: int, batch_size: int, train: bool, world: int = 1) -> int:
    """``len(epoch_order(...))`` without drawing a permutation."""
    count = -(-n // batch_size)
    if train and count > 1 and 0 < n % batch_size < 2 * world:
        count -= 1
    return count


class BatchSource(Protocol):
    """What the loop iterates: ``batches(epoch, skip)`` yields (inputs, labels)."""

    num_samples: int
    weights: torch.Tensor | None  # per-sample draw weights (balanced sampler), None: shuffle

    def __len__(self) -> int: ...

    def batches(self, epoch: int, skip: int = 0) -> Iterator[Batch]: ...


def _order(n: int, batch_size: int, seed: int, epoch: int, train: bool,
           weights: torch.Tensor | None = None) -> list[list[int]]:
    """This process's share of every batch of ``epoch`` (training batches are shared out
    between the processes of a torchrun group, see designer.training.ddp)."""
    rank, world = shard() if train else (0, 1)
    batches = epoch_order(n, batch_size, seed, epoch, train, world, weights)
    return batches if world == 1 else [b[rank::world] for b in batches]


class _EpochBatchSampler(Sampler[list[int]]):
    def __init__(self, n: int, batch_size: int, seed: int, train: bool) -> None:
        self.n, self.batch_size, self.seed, self.train = n, batch_size, seed, train
        self.epoch, self.skip = 1, 0
        self.weights: torch.Tensor | None = None

    def __iter__(self) -> Iterator[list[int]]:
        yield from _order(self.n, self.batch_size, self.seed, self.epoch, self.train,
                          self.weights)[self.skip:]

    def __len__(self) -> int:
        return _batch_count(self.n, self.batch_size, self.train, shard()[1] if self.train else 1)


class LoaderSource:
    """Batches from a (tensor, label) dataset through a DataLoader with reproducible seeding."""

    def __init__(
        self, dataset: Dataset[Any], batch_size: int, *, seed: int, train: bool,
        workers: int = 0, pin_memory: bool = False,
    ) -> None:
        self.dataset = dataset
        self.num_samples = len(dataset)  # type: ignore[arg-type]
        self._sampler = _EpochBatchSampler(self.num_samples, batch_size, seed, train)
        self._generator = torch.Generator()
        self._seed = seed
        self._loader = DataLoader(
            GuardedDataset(dataset), batch_sampler=self._sampler, num_workers=workers,
            pin_memory=pin_memory, generator=self._generator, worker_init_fn=ignore_interrupts,
        )

    def __len__(self) -> int:
        return len(self._sampler)

    @property
    def weights(self) -> torch.Tensor | None:
        return self._sampler.weights

    @weights.setter
    def weights(self, value: torch.Tensor | None) -> None:
        self._sampler.weights = value

    def batches(self, epoch: int, skip: int = 0) -> Iterator[Batch]:
        self._sampler.epoch, self._sampler.skip = epoch, skip
        # Worker processes seed their RNGs (augmentation) from this generator: fixed per epoch
        # (and per process of a torchrun group).
        self._generator.manual_seed(mix_seed(self._seed, epoch, 1) + shard()[0])
        for item in self._loader:
            yield (item[0],), torch.as_tensor(item[1])


class TensorSource:
    """Batches indexed straight out of cached tensors (100k+ samples/s, no DataLoader).

    ``views`` holds one list of boundary tensors per cached pass; epoch ``e`` uses view
    ``(e - 1) % len(views)`` (several views = several augmented passes).
    """

    def __init__(
        self, views: Sequence[Sequence[torch.Tensor]], labels: torch.Tensor, batch_size: int,
        *, seed: int, train: bool,
    ) -> None:
        self.views = [list(v) for v in views]
        self.labels = labels
        self.num_samples = int(labels.shape[0])
        self.batch_size, self.seed, self.train = batch_size, seed, train
        self.weights: torch.Tensor | None = None

    def __len__(self) -> int:
        world = shard()[1] if self.train else 1
        return _batch_count(self.num_samples, self.batch_size, self.train, world)

    def batches(self, epoch: int, skip: int = 0) -> Iterator[Batch]:
        tensors = self.views[(epoch - 1) % len(self.views)]
        order = _order(self.num_samples, self.batch_size, self.seed, epoch, self.train,
                       self.weights)
        for indices in order[skip:]:
            index = torch.tensor(indices)
            yield tuple(t[index] for t in tensors), self.labels[index]
