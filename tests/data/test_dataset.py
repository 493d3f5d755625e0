"""Datasets built from a manifest: shapes, labels, workers, and errors that name the file."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from designer.data.dataset import ImageDataset, datasets_from_manifest
from designer.data.errors import SampleError
from designer.data.scan import scan
from designer.data.split import split_scan
from designer.data.transforms import AugmentOptions
from designer.zoo.preprocessing import Preprocessing

PRE = Preprocessing(resize_size=40, crop_size=32)


def test_datasets_follow_the_manifest(class_tree: Path) -> None:
    manifest = split_scan(scan(class_tree), (0.6, 0.2, 0.2), seed=4)
    datasets = datasets_from_manifest(manifest, PRE, AugmentOptions.recommended(), image_size=24)

    assert set(datasets) == {"train", "val", "test"}
    for split, dataset in datasets.items():
        assert dataset.classes == ["cat", "dog", "owl"]
        assert [s.path for s in dataset.samples] == [s.path for s in manifest.samples(split)]
        assert dataset.targets == [s.label for s in manifest.samples(split)]
    image, label = datasets["train"][0]
    assert image.dtype == torch.float32 and image.shape == (3, 24, 24)
    assert label == datasets["train"].samples[0].label


def test_val_is_deterministic_train_is_augmented(class_tree: Path) -> None:
    manifest = split_scan(scan(class_tree), (0.5, 0.5, 0.0), seed=0)
    aug = AugmentOptions(hflip=True, scale=(0.3, 0.6), brightness=0.4)
    datasets = datasets_from_manifest(manifest, PRE, aug, image_size=24)
    assert torch.equal(datasets["val"][0][0], datasets["val"][0][0])
    torch.manual_seed(0)
    draws = [datasets["train"][0][0] for _ in range(3)]
    assert not torch.equal(draws[0], draws[1]) or not torch.equal(draws[1], draws[2])


def test_dataloader_with_a_worker_process(class_tree: Path) -> None:
    manifest = split_scan(scan(class_tree), (1.0, 0.0, 0.0))
    dataset = datasets_from_manifest(manifest, PRE, None, image_size=16)["train"]
    pickle.loads(pickle.dumps(dataset))
    loader = DataLoader(dataset, batch_size=8, num_workers=1)
    batches = list(loader)
    assert sum(len(y) for _x, y in batches) == 20
    assert batches[0][0].shape == (8, 3, 16, 16)


def test_a_file_broken_after_the_scan_raises_sample_error(class_tree: Path) -> None:
    samples = scan(class_tree).samples
    broken = samples[3].path
    broken.write_bytes(b"")
    dataset = ImageDataset(samples, ["cat", "dog", "owl"])
    with pytest.raises(SampleError) as caught:
        dataset[3]
    assert caught.value.path == broken
    assert dataset[2][0].dtype == torch.uint8  # no transform: raw RGB tensor


def test_sample_error_survives_a_worker_process(class_tree: Path) -> None:
    samples = scan(class_tree).samples[:2]
    samples[1].path.write_bytes(b"not an image at all")
    loader = DataLoader(ImageDataset(samples, ["cat"]), batch_size=1, num_workers=1)
    with pytest.raises(SampleError) as caught:
        list(loader)
    assert caught.value.path == samples[1].path  # rebuilt from the worker's traceback
    assert caught.value.reason == "not an image (text file)"
