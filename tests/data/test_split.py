"""Stratified splits: proportions per class, reproducible by seed, kept in a JSON manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from designer.data.errors import ManifestError
from designer.data.scan import BadFile, scan
from designer.data.split import SplitManifest, allocate, split_scan

MakeImage = Callable[..., Path]


def _many(tmp_path: Path, make_image: MakeImage, counts: dict[str, int]) -> Path:
    root = tmp_path / "ds"
    for name, n in counts.items():
        for i in range(n):
            make_image(root / name / f"{i:03d}.png", size=(8, 8), seed=i)
    return root


def test_split_is_stratified_per_class(tmp_path: Path, make_image: MakeImage) -> None:
    root = _many(tmp_path, make_image, {"a": 40, "b": 20, "c": 1})
    manifest = split_scan(scan(root), (0.7, 0.15, 0.15), seed=3)

    counts = manifest.counts()
    assert counts["train"] == {"a": 28, "b": 14, "c": 1}
    assert counts["val"] == {"a": 6, "b": 3, "c": 0}
    assert counts["test"] == {"a": 6, "b": 3, "c": 0}
    paths = [e.path for e in manifest.entries]
    assert len(paths) == len(set(paths)) == 61


def test_same_seed_same_split_other_seed_other_split(tmp_path: Path, make_image: MakeImage) -> None:
    data = scan(_many(tmp_path, make_image, {"a": 30, "b": 30}))
    first = split_scan(data, seed=1)
    again = split_scan(data, seed=1)
    other = split_scan(data, seed=2)

    assert first.entries == again.entries
    assert {e.path for e in first.samples("val")} != {e.path for e in other.samples("val")}


def test_cap_limits_images_per_class(tmp_path: Path, make_image: MakeImage) -> None:
    data = scan(_many(tmp_path, make_image, {"a": 30, "b": 5}))
    manifest = split_scan(data, (0.6, 0.2, 0.2), seed=0, cap=10)

    totals = {c: sum(manifest.counts()[s][c] for s in ("train", "val", "test")) for c in ("a", "b")}
    assert totals == {"a": 10, "b": 5}
    assert manifest.cap == 10


def test_manifest_round_trips_through_json(tmp_path: Path, make_image: MakeImage) -> None:
    data = scan(_many(tmp_path, make_image, {"a": 7, "b": 9}))
    data.bad_files.append(BadFile(tmp_path / "ds" / "a" / "x.jpg", "empty file (0 bytes)", "empty"))
    manifest = split_scan(data, (0.5, 0.25, 0.25), seed=11, cap=8)

    restored = SplitManifest.from_json(manifest.to_json())
    assert restored == manifest
    manifest.save(tmp_path / "split.json")
    assert SplitManifest.load(tmp_path / "split.json") == manifest
    assert all(s.path.is_file() for s in restored.samples("train"))


def test_broken_manifest_raises_manifest_error() -> None:
    with pytest.raises(ManifestError, match="not valid JSON"):
        SplitManifest.from_json("{oops")
    with pytest.raises(ManifestError, match="re-create"):
        SplitManifest.from_json('{"root": "/x"}')
    with pytest.raises(ManifestError, match="newer"):
        SplitManifest.from_json('{"version": 99}')


def test_split_folders_are_used_as_given(tmp_path: Path, make_image: MakeImage) -> None:
    for split, n in (("train", 5), ("val", 2), ("test", 3)):
        for i in range(n):
            make_image(tmp_path / split / "only" / f"{i}.png", size=(8, 8), seed=i)
    manifest = split_scan(scan(tmp_path), (0.9, 0.1, 0.0), seed=5)

    assert manifest.layout == "split_folders"
    assert {s: sum(c.values()) for s, c in manifest.counts().items()} == {
        "train": 5,
        "val": 2,
        "test": 3,
    }
    assert all(e.path.startswith(f"{e.split}/") for e in manifest.entries)


@pytest.mark.parametrize("n", range(1, 12))
def test_allocation_adds_up_and_keeps_a_training_image(n: int) -> None:
    sizes = allocate(n, (0.1, 0.45, 0.45))
    assert sum(sizes) == n
    assert sizes[0] >= 1


def test_bad_fractions_are_rejected(tmp_path: Path, make_image: MakeImage) -> None:
    data = scan(_many(tmp_path, make_image, {"a": 3}))
    with pytest.raises(ValueError, match="add up"):
        split_scan(data, (0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match="train > 0"):
        split_scan(data, (0.0, 0.5, 0.5))
    assert split_scan(data, (80, 20, 0)).fractions == (0.8, 0.2, 0.0)


def test_without_moves_files_to_skipped(tmp_path: Path, make_image: MakeImage) -> None:
    manifest = split_scan(scan(_many(tmp_path, make_image, {"a": 4})), (1.0, 0.0, 0.0))
    victim = manifest.samples("train")[0].path
    smaller = manifest.without([BadFile(victim, "truncated or incomplete image file", "truncated")])
    assert victim not in {s.path for s in smaller.samples("train")}
    assert [b.path for b in smaller.skipped] == [victim]


def test_train_and_test_folders_without_val_get_val_from_train(tmp_path: Path, make_image: MakeImage) -> None:
    for split, n in (("train", 10), ("test", 3)):
        for cls in ("a", "b"):
            for i in range(n):
                make_image(tmp_path / split / cls / f"{i}.png", size=(8, 8), seed=i)

    manifest = split_scan(scan(tmp_path), (0.6, 0.2, 0.2), seed=0)

    counts = manifest.counts()
    assert counts["train"] == {"a": 8, "b": 8}  # val : train = 0.2 : 0.6 of the 10
    assert counts["val"] == {"a": 2, "b": 2}
    assert counts["test"] == {"a": 3, "b": 3}
    assert all(e.path.startswith("train/") for e in manifest.entries if e.split == "val")


def test_a_lone_train_folder_is_a_split_not_a_class(tmp_path: Path, make_image: MakeImage) -> None:
    for cls in ("a", "b"):
        for i in range(4):
            make_image(tmp_path / "train" / cls / f"{i}.png", size=(8, 8), seed=i)
    data = scan(tmp_path)
    assert data.has_splits and data.classes == ["a", "b"]
    assert sum(split_scan(data).counts()["val"].values()) > 0
