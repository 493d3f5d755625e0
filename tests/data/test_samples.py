"""Offline sample datasets: Tux Paint photos and the generated shapes set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from designer.data.dataset import datasets_from_manifest
from designer.data.samples import TUXPAINT_STAMPS, default_sample_root, generated_dataset, tuxpaint_source
from designer.data.scan import scan
from designer.data.split import split_scan
from designer.zoo.preprocessing import Preprocessing


@pytest.mark.needs_photos
@pytest.mark.skipif(
    not TUXPAINT_STAMPS.is_dir(),
    reason="Debian package tuxpaint-stamps-default is not installed (apt-get install it)",
)
def test_tuxpaint_source_has_five_classes_and_169_photos() -> None:
    source = tuxpaint_source()
    assert source is not None
    result = scan(source)
    assert result.classes == ["birds", "flowers", "fruit", "mammals", "vegetables"]
    assert len(result.samples) == 169
    assert result.counts() == {"birds": 35, "flowers": 25, "fruit": 26, "mammals": 65, "vegetables": 18}
    assert not any("cartoon" in s.path.parts for s in result.samples)
    assert result.bad_files == []


def test_tuxpaint_source_is_none_without_the_package(tmp_path: Path) -> None:
    assert tuxpaint_source(tmp_path / "no-stamps") is None


def _digest(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_generated_dataset_is_deterministic_and_reused(tmp_path: Path) -> None:
    first = generated_dataset(tmp_path / "a", classes=3, per_class=6, size=32, seed=5)
    second = generated_dataset(tmp_path / "b", classes=3, per_class=6, size=32, seed=5)
    assert _digest(first) == _digest(second)
    other = generated_dataset(tmp_path / "c", classes=3, per_class=6, size=32, seed=6)
    assert _digest(first) != _digest(other)

    victim = next(first.rglob("*.png"))
    stamp = victim.stat().st_mtime_ns
    assert generated_dataset(tmp_path / "a", classes=3, per_class=6, size=32, seed=5) == first
    assert victim.stat().st_mtime_ns == stamp  # reused, not rewritten

    victim.unlink()  # an incomplete folder is completed again
    generated_dataset(tmp_path / "a", classes=3, per_class=6, size=32, seed=5)
    assert _digest(first) == _digest(second)


def test_generated_dataset_is_a_clean_mix_of_png_and_jpeg(tmp_path: Path) -> None:
    folder = generated_dataset(tmp_path, classes=4, per_class=8, size=40)
    result = scan(folder)
    assert result.classes == ["circle", "square", "stripes", "triangle"]
    assert result.counts() == dict.fromkeys(result.classes, 8)
    assert result.bad_files == []
    suffixes = {s.path.suffix for s in result.samples}
    assert suffixes == {".png", ".jpg"}


def test_generated_dataset_rejects_impossible_requests(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="classes"):
        generated_dataset(tmp_path, classes=20)
    with pytest.raises(ValueError, match="per_class"):
        generated_dataset(tmp_path, per_class=0)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny convolutions run faster on one thread than on two busy shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_thread")
def test_a_small_cnn_learns_the_generated_dataset_quickly(tmp_path: Path) -> None:
    folder = generated_dataset(tmp_path)  # defaults: 4 classes x 24 images, 64 px
    manifest = split_scan(scan(folder), (0.75, 0.25, 0.0), seed=0)
    pre = Preprocessing(resize_size=64, crop_size=64, mean=(0.5,) * 3, std=(0.5,) * 3)
    data = datasets_from_manifest(manifest, pre, None, image_size=64)
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(32, 4),
    )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    for _epoch in range(4):
        for x, y in DataLoader(data["train"], batch_size=8, shuffle=True):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
    x_val, y_val = next(iter(DataLoader(data["val"], batch_size=len(data["val"]))))
    with torch.no_grad():
        accuracy = (net(x_val).argmax(1) == y_val).float().mean().item()
    assert accuracy >= 0.75  # chance is 0.25


def test_default_sample_root_is_a_per_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NETDESIGNER_SAMPLES", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root = default_sample_root()
    assert root.name == "samples" and "netdesigner" in str(root).lower()
    monkeypatch.setenv("NETDESIGNER_SAMPLES", str(tmp_path / "mine"))
    assert default_sample_root() == tmp_path / "mine"
