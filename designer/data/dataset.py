"""torch Datasets over scanned samples: decode, transform, and name the file when it breaks."""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.data import Dataset, Subset

from designer.data.errors import TransformError
from designer.data.loading import load_rgb_tensor
from designer.data.scan import Sample
from designer.data.sources import SPLITS
from designer.data.split import SplitManifest
from designer.data.transforms import AugmentOptions, build_transforms, decode_min_side
from designer.zoo.preprocessing import Preprocessing

Transform = Callable[[torch.Tensor], torch.Tensor]


class ImageDataset(Dataset[tuple[torch.Tensor, int]]):
    """(image tensor, label) pairs; a file that fails to load raises SampleError naming it.

    Picklable (plain lists and a transforms.v2 pipeline), so DataLoader worker processes work.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        classes: Sequence[str],
        transform: Transform | None = None,
        min_side: int | None = None,
    ) -> None:
        self.samples = list(samples)
        self.classes = list(classes)
        self.transform = transform
        #: JPEGs may be decoded at reduced scale down to this shorter side (see decode_min_side).
        self.min_side = min_side

    @property
    def targets(self) -> list[int]:
        """Labels in sample order (for class weights and samplers), like torchvision's."""
        return [s.label for s in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        sample = self.samples[index]
        image = load_rgb_tensor(sample.path, min_side=self.min_side)
        if self.transform is not None:
            try:
                image = self.transform(image)
            except (RuntimeError, ValueError) as exc:  # the file decoded: not its fault
                raise TransformError(f"preparing {sample.path} for the model failed "
                                     f"({type(exc).__name__}: {exc})") from exc
        return image, sample.label


def datasets_from_manifest(
    manifest: SplitManifest,
    pre: Preprocessing,
    augment: AugmentOptions | None = None,
    image_size: int | None = None,
) -> dict[str, ImageDataset]:
    """``train``/``val``/``test`` datasets (always all three keys; a split may be empty).

    Training gets the augmentation, val/test the model's evaluation preprocessing.
    """
    min_side = decode_min_side(pre, image_size)
    out = {}
    for split in SPLITS:
        transform = build_transforms(pre, augment, train=split == "train", image_size=image_size)
        out[split] = ImageDataset(manifest.samples(split), manifest.classes, transform, min_side)
    return out


class PoolSubset(Subset[tuple[torch.Tensor, int]]):
    """A subset whose pool is shared by sibling subsets (k-fold's train and val of every fold):
    the feature cache extracts a frozen backbone's features of the whole pool once and indexes
    them, instead of once per subset. A plain ``Subset`` is cached on its own (its pool may be
    far larger than it)."""


def sample_path(dataset: Any, index: int) -> str | None:
    """The file of sample ``index`` when the dataset knows it (``.samples[i].path``, ImageFolder's
    ``(path, class)`` tuples, through ``Subset``); None for in-memory data."""
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


def describe_sample_failure(dataset: Any, index: int, error: BaseException) -> str:
    """'sample #12 (/data/cat/x.jpg): OSError: truncated file' for a load error.

    The data package's own errors already name the file, so then the text is kept as it is.
    """
    path, text = sample_path(dataset, index), str(error)
    if path and path in text:
        return f"sample #{index}: {text}"
    where = f"sample #{index} ({path})" if path else f"sample #{index}"
    return f"{where}: {type(error).__name__}: {text}"


def ignore_interrupts(_worker_id: int) -> None:
    """``worker_init_fn`` of every DataLoader: Ctrl-C reaches the whole process group, and a
    worker it kills turns the main process's clean stop into a crash; the main process decides."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
