"""The health report on a folder holding every kind of bad and odd file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from designer.data.dataset import datasets_from_manifest
from designer.data.errors import OperationCancelledError
from designer.data.health import health_report
from designer.data.scan import DataScan, scan
from designer.data.split import split_scan
from designer.zoo.preprocessing import Preprocessing

MakeImage = Callable[..., Path]

ODD = {  # file in train/cat -> (Pillow mode, conversion the report must count)
    "grey.png": ("L", "grayscale"),
    "rgba.png": ("RGBA", "alpha"),
    "palette.png": ("P", "palette"),
    "cmyk.jpg": ("CMYK", "cmyk"),
    "deep.png": ("I;16", "16-bit"),
    "deep_rgb.png": ("RGB;16", "16-bit"),
}
BAD = {  # file in train/cat -> (kind, words in the reason)
    "zero.jpg": ("empty", "0 bytes"),
    "text.jpg": ("not_image", "text file"),
    "notes.txt": ("not_image", "text file"),
    "cut.jpg": ("truncated", "truncated"),
    "garbage.png": ("corrupt", "corrupt"),
}


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory, make_image: MakeImage) -> Path:
    """train/val/test folders, two classes, every odd mode, every bad file, one leaked image."""
    root = tmp_path_factory.mktemp("messy")
    seed = 100
    for split, n in (("train", 6), ("val", 2), ("test", 2)):
        for cls in ("cat", "dog"):
            for i in range(n):
                make_image(root / split / cls / f"{cls}{i}.{'jpg' if i % 2 else 'png'}", seed=seed)
                seed += 1
    cat = root / "train" / "cat"
    for name, (mode, _conv) in ODD.items():
        make_image(cat / name, mode=mode, seed=seed)
        seed += 1
    make_image(cat / "huge.jpg", size=(6000, 6000), seed=seed)
    (cat / "zero.jpg").write_bytes(b"")
    (cat / "text.jpg").write_text("I am not a JPEG\n")
    (cat / "notes.txt").write_text("collected in 2024\n")
    full = make_image(cat / "tmp.jpg", size=(64, 64), seed=1).read_bytes()
    (cat / "tmp.jpg").unlink()
    (cat / "cut.jpg").write_bytes(full[: len(full) * 2 // 3])
    png = (root / "train" / "dog" / "dog0.png").read_bytes()
    (cat / "garbage.png").write_bytes(png[:60] + bytes(range(256)) * 4)
    (root / "test" / "dog" / "leaked.png").write_bytes((cat / "cat0.png").read_bytes())
    return root


@pytest.fixture(scope="module")
def messy_scan(messy: Path) -> DataScan:
    return scan(messy)


def test_report_lists_every_bad_file_with_its_reason(messy_scan: DataScan) -> None:
    report = health_report(messy_scan)

    found = {b.path.name: b for b in report.bad_files}
    assert set(found) == set(BAD)
    for name, (kind, words) in BAD.items():
        assert found[name].kind == kind, name
        assert words in found[name].reason, name
    lines = "\n".join(report.summary_lines())
    for name in BAD:
        assert name in lines
    usable = sum(report.totals.values())
    assert f"{usable} usable images of {usable + len(BAD)} files ({len(BAD)} skipped" in lines, \
        "the first line's numbers add up with the skipped files listed"
    json.dumps(report.to_dict())  # plain data all the way down


def test_report_counts_conversions_large_images_and_leakage(messy_scan: DataScan) -> None:
    report = health_report(messy_scan)

    expected: dict[str, int] = {}
    for _mode, conversion in ODD.values():
        expected[conversion] = expected.get(conversion, 0) + 1
    expected["grayscale"] += 1  # 16-bit grey is both
    assert report.conversions == expected
    assert [(g.path.name, g.width, g.height) for g in report.large_images] == [("huge.jpg", 6000, 6000)]
    assert [sorted(p.name for p in g.paths) for g in report.leakage] == [["cat0.png", "leaked.png"]]
    assert any("leakage" in w for w in report.warnings)
    assert report.counts["train"]["cat"] == 6 + len(ODD) + 1
    assert report.counts["test"]["dog"] == 3


def test_every_good_file_still_loads(messy_scan: DataScan) -> None:
    report = health_report(messy_scan)
    manifest = split_scan(messy_scan).without(report.bad_files)
    pre = Preprocessing(resize_size=36, crop_size=32)

    datasets = datasets_from_manifest(manifest, pre, image_size=32)

    assert sum(len(d) for d in datasets.values()) == sum(sum(c.values()) for c in report.counts.values())
    for dataset in datasets.values():
        for i in range(len(dataset)):
            image, label = dataset[i]
            assert image.shape == (3, 32, 32) and torch.isfinite(image).all()
            assert label in (0, 1)


def test_imbalance_and_empty_split_warnings(tmp_path: Path, make_image: MakeImage) -> None:
    for i in range(12):
        make_image(tmp_path / "many" / f"{i}.png", size=(8, 8), seed=i)
    for i in range(2):
        make_image(tmp_path / "few" / f"{i}.png", size=(8, 8), seed=50 + i)
    manifest = split_scan(scan(tmp_path), (0.5, 0.5, 0.0))

    report = health_report(manifest)

    assert report.imbalance_ratio == pytest.approx(6.0)
    assert "class 'few' has 2 images, 6.0x fewer than 'many' (12)" in report.warnings
    assert report.leakage == []
    assert any("imbalance" in line for line in report.summary_lines())


def test_duplicate_labelled_twice_is_a_conflict(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "a" / "x.png", seed=1)
    make_image(tmp_path / "b" / "y.png", seed=1)
    report = health_report(scan(tmp_path))
    assert [g.label_conflict for g in report.duplicates] == [True]
    assert report.leakage == []  # not split yet


def test_health_check_reports_progress_and_can_be_cancelled(class_tree: Path) -> None:
    data = scan(class_tree)
    seen: list[float] = []
    health_report(data, progress=lambda f, _m: seen.append(f))
    assert len(seen) == len(data.samples) and seen[-1] == pytest.approx(1.0)
    with pytest.raises(OperationCancelledError):
        health_report(data, cancel=lambda: True)
