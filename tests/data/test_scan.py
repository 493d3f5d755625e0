"""Scanning folders: class folders (nested), train/val/test folders, explicit class mappings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from designer.data.errors import DataSourceError, OperationCancelledError
from designer.data.scan import scan
from designer.data.sources import ClassFolders

MakeImage = Callable[..., Path]


def test_nested_class_folders_belong_to_their_top_folder(class_tree: Path) -> None:
    result = scan(class_tree)

    assert result.classes == ["cat", "dog", "owl"]
    assert result.counts() == {"cat": 10, "dog": 6, "owl": 4}
    nested = [s for s in result.samples if "deeper" in s.path.parts]
    assert nested, "images in nested folders must be found"
    assert all(result.classes[s.label] == s.path.relative_to(class_tree).parts[0] for s in nested)
    assert result.bad_files == []
    assert not result.has_splits


def test_scan_order_is_stable(class_tree: Path) -> None:
    assert scan(class_tree).samples == scan(class_tree).samples


def test_split_folders_are_detected_and_kept(tmp_path: Path, make_image: MakeImage) -> None:
    for folder, n in [("train", 4), ("Validation", 2), ("test", 1)]:
        for cls in ("b", "a"):
            for i in range(n):
                make_image(tmp_path / folder / cls / f"{cls}{i}.png", seed=i)

    result = scan(tmp_path)

    assert result.has_splits
    assert result.classes == ["a", "b"]
    per_split = {s: sum(1 for x in result.samples if x.split == s) for s in ("train", "val", "test")}
    assert per_split == {"train": 8, "val": 4, "test": 2}


def test_non_images_are_reported_and_hidden_files_ignored(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "cls" / "ok.png")
    (tmp_path / "cls" / "notes.txt").write_text("labels were checked by hand\n")
    (tmp_path / "cls" / "empty.jpg").write_bytes(b"")
    (tmp_path / "cls" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "cls" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    make_image(tmp_path / "loose.png")

    result = scan(tmp_path)

    reasons = {b.path.name: (b.kind, b.reason) for b in result.bad_files}
    assert reasons == {
        "notes.txt": ("not_image", "not an image (text file)"),
        "empty.jpg": ("empty", "empty file (0 bytes)"),
        "loose.png": ("no_class", "image is not inside a class folder; move it into one"),
    }
    assert [s.path.name for s in result.samples] == ["ok.png"]


def test_class_mapping_with_different_depths_and_filters(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "animals" / "mammals" / "cow.png")
    make_image(tmp_path / "animals" / "mammals" / "rodents" / "rat.png")
    make_image(tmp_path / "animals" / "mammals" / "cartoon" / "toon.png")
    (tmp_path / "animals" / "mammals" / "cow.txt").write_text("a cow")
    make_image(tmp_path / "food" / "fruit" / "apple.png")
    source = ClassFolders(
        {"mammals": [tmp_path / "animals" / "mammals"], "fruit": tmp_path / "food" / "fruit"},
        extensions=frozenset({".png"}),
        exclude=("cartoon",),
    )

    result = scan(source)

    assert result.classes == ["fruit", "mammals"]
    assert sorted(s.path.name for s in result.samples) == ["apple.png", "cow.png", "rat.png"]
    assert result.root == tmp_path
    assert result.bad_files == []


def test_missing_or_empty_folders_raise_helpful_errors(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="not found"):
        scan(tmp_path / "nope")
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(DataSourceError, match="sub-folder"):
        scan(tmp_path)
    with pytest.raises(DataSourceError, match="class 'x'"):
        scan(ClassFolders({"x": [tmp_path / "missing"]}))


def test_scan_reports_progress_and_can_be_cancelled(class_tree: Path) -> None:
    seen: list[float] = []
    scan(class_tree, progress=lambda f, _msg: seen.append(f))
    assert seen and seen[-1] == pytest.approx(1.0)
    with pytest.raises(OperationCancelledError):
        scan(class_tree, cancel=lambda: True)


def test_without_moves_samples_to_bad_files(class_tree: Path) -> None:
    from designer.data.scan import BadFile

    data = scan(class_tree)
    victim = data.samples[0].path
    smaller = data.without([BadFile(victim, "truncated or incomplete image file", "truncated")])
    assert len(smaller.samples) == len(data.samples) - 1
    assert [b.path for b in smaller.bad_files] == [victim]
    assert len(data.samples) == 20  # the original scan is unchanged
