"""The persistent feature cache: a second run reuses features with no backbone pass, and any
change to the images or the frozen weights, or a damaged cache file, makes it extract again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from designer.data.dataset import ImageDataset
from designer.data.scan import Sample
from designer.training.callbacks import Recorder
from designer.training.events import LogEvent
from designer.training.feature_store import FeatureStore
from designer.training.loop import fit


def _images(root: Path, n: int = 12) -> ImageDataset:
    root.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    samples = []
    for i in range(n):
        label = i % 3
        pixels = torch.randint(0, 255, (16, 16, 3), generator=generator, dtype=torch.uint8)
        pixels[..., label] = 255
        path = root / f"img_{i:02d}.png"
        Image.fromarray(pixels.numpy()).save(path)
        samples.append(Sample(path, label))
    transform = v2.Compose([v2.ToDtype(torch.float32, scale=True)])
    return ImageDataset(samples, ["r", "g", "b"], transform)


def _backbone_calls(model: torch.nn.Module) -> list[int]:
    """Counts forward calls of the first (frozen) convolution."""
    calls = [0]
    model.get_submodule("conv1").register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def _run(model, data, options, store, val=None):
    rec = Recorder()
    result = fit(model, data, val, options, callbacks=[rec], feature_store=store)
    assert result.reason == "completed", result.message
    return result, "\n".join(e.message for e in rec.of_type(LogEvent))


def test_second_run_with_a_new_head_does_no_backbone_pass(tiny_model, options, tmp_path):
    data, val = _images(tmp_path / "train"), _images(tmp_path / "val", 6)
    store = tmp_path / "cache"
    first = tiny_model(frozen_backbone=True)
    calls = _backbone_calls(first)
    _, log_a = _run(first, data, options(), store, val)
    assert calls[0] > 0 and "features reused" not in log_a
    # another head initialisation, learning rate and number of epochs: same frozen part
    second = tiny_model(frozen_backbone=True)
    torch.nn.init.normal_(second.fc.weight)
    calls = _backbone_calls(second)
    b, log_b = _run(second, data, options(lr=3e-2, epochs=3), store, val)
    assert calls[0] == 0
    assert "features reused from the project's feature cache, no backbone pass" in log_b
    assert b.feature_cache == "memory" and b.history.iterations


def test_reused_features_train_exactly_like_fresh_ones(tiny_model, options, tmp_path):
    data = _images(tmp_path / "train")
    fresh = _run(tiny_model(frozen_backbone=True), data, options(), None)[0]
    _run(tiny_model(frozen_backbone=True), data, options(), tmp_path / "cache")
    reused = _run(tiny_model(frozen_backbone=True), data, options(), tmp_path / "cache")[0]
    assert [r["loss"] for r in reused.history.iterations] == \
        [r["loss"] for r in fresh.history.iterations]


def test_a_changed_image_file_invalidates(tiny_model, options, tmp_path):
    data = _images(tmp_path / "train")
    _run(tiny_model(frozen_backbone=True), data, options(), tmp_path / "cache")
    path = data.samples[3].path
    Image.new("RGB", (16, 16), (9, 9, 9)).save(path)
    os.utime(path, ns=(1, 1))  # even with an odd mtime, the size or mtime differs
    model = tiny_model(frozen_backbone=True)
    calls = _backbone_calls(model)
    _, log = _run(model, data, options(), tmp_path / "cache")
    assert calls[0] > 0 and "features reused" not in log


def test_changed_frozen_weights_invalidate(tiny_model, options, tmp_path):
    data = _images(tmp_path / "train")
    _run(tiny_model(frozen_backbone=True), data, options(), tmp_path / "cache")
    model = tiny_model(frozen_backbone=True)
    with torch.no_grad():
        model.conv2.weight[0, 0, 0, 0] += 1e-3
    calls = _backbone_calls(model)
    _, log = _run(model, data, options(), tmp_path / "cache")
    assert calls[0] > 0 and "features reused" not in log


def test_a_damaged_cache_file_is_ignored_and_rebuilt(tiny_model, options, tmp_path):
    data = _images(tmp_path / "train")
    store = FeatureStore(tmp_path / "cache")
    _run(tiny_model(frozen_backbone=True), data, options(), store)
    (entry,) = store.entries()
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])  # a torn write
    model = tiny_model(frozen_backbone=True)
    calls = _backbone_calls(model)
    _, log = _run(model, data, options(), store)
    assert calls[0] > 0 and "features reused" not in log
    assert len(store.entries()) == 1  # rebuilt in place of the damaged one
    model = tiny_model(frozen_backbone=True)
    calls = _backbone_calls(model)
    _, log = _run(model, data, options(), store)
    assert calls[0] == 0 and "features reused" in log


def test_store_is_bounded_least_recently_used_first(tmp_path):
    store = FeatureStore(tmp_path, limit=3 * 4096 + 2000)
    keys = [f"{i:064x}" for i in range(4)]
    for key in keys[:3]:
        store.save(key, [torch.zeros(8, 128)], torch.zeros(8, dtype=torch.int64))
    later = store.path(keys[2]).stat().st_mtime_ns + 10**9
    os.utime(store.path(keys[0]), ns=(later, later))  # key 0 used last
    store.save(keys[3], [torch.zeros(8, 128)], torch.zeros(8, dtype=torch.int64))
    names = {p.name[:64] for p in store.entries()}
    assert keys[3] in names and keys[0] in names and keys[1] not in names
    assert sum(p.stat().st_size for p in store.entries()) <= store.limit
    assert not list(tmp_path.glob(".tmp-*"))  # written atomically: no temporaries left


def test_store_files_are_data_and_keys_are_checked(tmp_path):
    store = FeatureStore(tmp_path)
    with pytest.raises(ValueError, match="not a feature-cache key"):
        store.path("../../etc/passwd")
    key = "a" * 64
    store.save(key, [torch.ones(4, 2)], torch.tensor([0, 1, 2, 0]))
    assert store.load(key, 4, [0, 1, 2, 1]) is None  # labels differ: not this dataset
    assert not store.path(key).exists()
    with pytest.raises(ValueError, match="positive"):
        FeatureStore(tmp_path, limit=0)
